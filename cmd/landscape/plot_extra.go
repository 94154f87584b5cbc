package main

import (
	"fmt"

	"landscape/plot"
	"landscape/trajectory"
)

// drawExtras reads --path (a trajectory's PATH.npz) and draws the surfaces' extras (plot.Extras).
func drawExtras(f *plotFlags, ss []*plot.Surface, prefixOf func(string) string, opt plot.Options) ([]string, error) {
	var ms []plot.Marker
	if f.path != "" {
		p, err := trajectory.LoadPath(f.path)
		if err != nil {
			return nil, fmt.Errorf("--path: %w", err)
		}
		ms = plot.PathMarkers(p.ProjX, p.ProjY)
	}
	return plot.Extras(ss, ms, prefixOf, opt)
}
