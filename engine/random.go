package engine

import (
	"landscape/data"
	"landscape/direction"
	"landscape/model"
)

// RandomProblem is zoo network name for images of shape c with deterministic random weights
// (model.Init), seed-drawn directions normalised as o says, and n synthetic images: the
// problem the benchmarks, `landscape bench` and the engine tests evaluate.
func RandomProblem(name string, c model.Config, images int, seed int64, o direction.Options) (*Problem, error) {
	n, err := model.Build(name, c)
	if err != nil {
		return nil, err
	}
	w := model.Init(n, seed)
	dx, dy := direction.Random(n, o.DirType, seed, 0), direction.Random(n, o.DirType, seed, 1)
	direction.Normalize(dx, w, o)
	direction.Normalize(dy, w, o)
	return NewProblem(n, w, dx, dy, data.Synthetic(images, c.InC, c.HW, c.HW, c.Classes, seed))
}
