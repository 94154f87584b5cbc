package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// gridFlags are scan's axis and direction flags, for the eigenvalue map.
type gridFlags struct {
	x, y string
}

func (g *gridFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&g.x, "x", "", "map: x axis MIN:MAX:NUM (as scan)")
	c.Flags().StringVar(&g.y, "y", "", "map: y axis MIN:MAX:NUM (2D)")
}

func runHessianMap(f *hessianFlags) error {
	return errors.New("--x: the eigenvalue map is not built yet")
}
