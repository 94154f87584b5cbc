package hessian

import (
	"fmt"

	"landscape/data"
	"landscape/model"
	"landscape/train"
)

// Input names what a Hessian at θ is taken of; the field comments name the flags.
type Input struct {
	Model, Weights string       // --model, --weights
	Data           string       // --data KIND:PATH
	DataOptions    data.Options // --split, --limit, --raw, --normalize
	Chunk, Workers int          // --batch-size (images per chunk), --workers
}

// Load reads the data and the network of in and prepares float32 Hessian-vector products of
// the mean loss over the data at the weights, checking that they fit one another.
func Load(in Input) (*train.HVP[float32], *data.Set, error) {
	o := in.DataOptions
	switch {
	case o.Split != "train" && o.Split != "test":
		return nil, nil, fmt.Errorf("--split %q: want train or test", o.Split)
	case o.Limit < 0:
		return nil, nil, fmt.Errorf("--limit %d: want a positive number of examples, or 0 for all", o.Limit)
	case in.Workers < 1 || in.Chunk < 1:
		return nil, nil, fmt.Errorf("--workers %d and --batch-size %d: want positive numbers", in.Workers, in.Chunk)
	}
	set, err := data.Load(in.Data, o)
	if err != nil {
		return nil, nil, err
	}
	if set.H != set.W {
		return nil, nil, fmt.Errorf("--data %s: images are %dx%d; the zoo networks take square images", in.Data, set.H, set.W)
	}
	net, w, err := model.Load(in.Model, in.Weights, set.H)
	if err != nil {
		return nil, nil, err
	}
	if set.C != net.InC {
		return nil, nil, fmt.Errorf("--data %s has %d-channel images but %s (conv1) takes %d channels", in.Data, set.C, in.Weights, net.InC)
	}
	h, err := train.NewHVP[float32](net, w, set, in.Chunk, in.Workers)
	return h, set, err
}
