package engine

import (
	"landscape/data"
	"landscape/direction"
	"landscape/model"
)

// RandomProblem is zoo network name for images of shape c with deterministic random weights
// (model.Init), seed-drawn directions normalised as o says, and n synthetic images: the
// problem the benchmarks, `landscape bench` and the engine tests evaluate. name may be an ONNX
// file (model.Build), whose random weights replace the file's.
func RandomProblem(name string, c model.Config, images int, seed int64, o direction.Options) (*Problem, error) {
	n, err := model.Build(name, c)
	if err != nil {
		return nil, err
	}
	w := model.Init(n, seed)
	dx, dy := direction.Random(n, o.DirType, seed, 0), direction.Random(n, o.DirType, seed, 1)
	direction.Normalize(dx, w, o)
	direction.Normalize(dy, w, o)
	in := n.Input() // c's for a zoo network, the graph's own for a graph file
	return NewProblem(n, w, dx, dy, data.Synthetic(images, in[0], in[1], in[2], n.Classes, seed))
}
