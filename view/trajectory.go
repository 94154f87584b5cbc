package view

import (
	"fmt"

	"landscape/trajectory"
)

// Trajectory is an optimiser's path projected on two PCA directions, as `landscape trajectory
// --path` writes it (the paper's plot_trajectory: proj_xcoord, proj_ycoord,
// explained_variance_ratio), read by trajectory.LoadPath.
type Trajectory struct {
	Name     string    `json:"name"`
	X        []float64 `json:"x"`
	Y        []float64 `json:"y"`
	Variance []float64 `json:"variance,omitempty"` // explained variance ratio of each direction
}

// LoadTrajectory reads a trajectory file.
func LoadTrajectory(path string) (*Trajectory, error) {
	p, err := trajectory.LoadPath(path)
	if err != nil {
		return nil, fmt.Errorf("--path: %w", err)
	}
	return &Trajectory{Name: path, X: p.ProjX, Y: p.ProjY, Variance: p.ExplainedVarianceRatio}, nil
}
