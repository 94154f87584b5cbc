package plot

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"landscape/surface"
)

// LoadDrawable reads a surface file to draw (surface.Load), with split as its main split
// unless split is "", and returns it as drawn: a partial file's finest complete level
// (surface.Drawable), with that level as the plot's Note. notes are what the user should be
// told: how much of a partial file is drawn, and how a tolerance scan's points were estimated.
func LoadDrawable(path, split string) (s *Surface, drawn *surface.Surface, notes []string, err error) {
	sf, err := surface.Load(path)
	if err != nil {
		return nil, nil, nil, err
	}
	if split != "" {
		if err := sf.SelectSplit(split); err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	drawn, level := sf.Drawable()
	s = FromSurface(path, drawn)
	s.Note = level
	if level != "" {
		notes = append(notes, fmt.Sprintf("%d of %d points computed; drawing the %s", sf.Len()-len(sf.Missing()), sf.Len(), level))
	}
	if note := sf.SampleNote(); note != "" {
		notes = append(notes, note)
	}
	return s, drawn, notes, nil
}

// FilePrefix is where the figures of the surface file path go, of n files drawn together:
// the path without its extension when outPrefix is "", outPrefix itself for one file, else
// <outPrefix>_<base name without extension>.
func FilePrefix(outPrefix string, n int, path string) string {
	base := strings.TrimSuffix(path, filepath.Ext(path))
	switch {
	case outPrefix == "":
		return base
	case n == 1:
		return outPrefix
	}
	return outPrefix + "_" + filepath.Base(base)
}

// DrawFiles draws every surface's figures (Draw) next to prefixOf(its path) and, for several
// surfaces, their comparison (Compare) at comparePrefix. It returns every file written and the
// errors of all the figures.
func DrawFiles(ss []*Surface, prefixOf func(string) string, comparePrefix string, opt Options) ([]string, error) {
	var written []string
	var errs []error
	for _, s := range ss {
		ps, err := Draw(s, prefixOf(s.Path), opt)
		written = append(written, ps...)
		errs = append(errs, err)
	}
	if len(ss) > 1 {
		ps, err := Compare(ss, comparePrefix, opt)
		written = append(written, ps...)
		errs = append(errs, err)
	}
	return written, errors.Join(errs...)
}
