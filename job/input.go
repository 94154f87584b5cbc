package job

import (
	"cmp"
	"fmt"
	"strings"

	"landscape/data"
	"landscape/model"
)

// Input is the data a network is evaluated or trained on, as the flags --data, --split,
// --limit, --raw, --normalize, --resize and --center-crop give it (scan, train, hessian). Its
// loading and checks are written here once.
type Input struct {
	Data string // --data KIND:PATH
	// Options: --split (Split), --limit (Limit), --raw (Raw), --normalize (Normalize), --resize
	// and --center-crop (Geometry); Channels is set by the loader.
	data.Options
}

// validate checks the options that need no file (data.Options.Check), before anything is read.
func (in Input) validate() error { return in.Options.Check() }

// load reads the images and checks that there are some and, for a zoo network (square), that
// they are square.
func (in Input) load(square bool) (*data.Set, error) {
	set, err := data.Load(in.Data, in.Options)
	if err != nil {
		return nil, err
	}
	if set.N == 0 {
		return nil, fmt.Errorf("--data %s (%s split): no examples", in.Data, in.Split)
	}
	if square && set.H != set.W {
		return nil, fmt.Errorf("--data %s: images are %dx%d (width x height); the zoo networks take square images (imagefolder: --center-crop C makes them so)", in.Data, set.W, set.H)
	}
	return set, nil
}

// fit returns set with the channel count net takes: an imagefolder is read again converted to
// it (as PIL's convert("L") or convert("RGB") would); other kinds must have it. weights names
// the network's file in the error.
func (in Input) fit(set *data.Set, net *model.Net, weights string) (*data.Set, error) {
	if set.C != net.InC && strings.HasPrefix(in.Data, "imagefolder:") {
		opt := in.Options
		opt.Channels = net.InC
		var err error
		if set, err = data.Load(in.Data, opt); err != nil {
			return nil, err
		}
	}
	if set.C != net.InC {
		return nil, fmt.Errorf("--data %s has %d-channel images but %s (conv1) takes %d channels", in.Data, set.C, weights, net.InC)
	}
	return set, nil
}

// loadWith reads the images and the network (model.Load of modelName and weights, at the
// images' size), each checked against the other.
func (in Input) loadWith(modelName, weights string) (*data.Set, *model.Net, *model.Weights, error) {
	set, err := in.load(!model.IsGraphFile(modelName))
	if err != nil {
		return nil, nil, nil, err
	}
	net, w, err := model.Load(modelName, weights, set.H)
	if err != nil {
		return nil, nil, nil, err
	}
	if set, err = in.fit(set, net, cmp.Or(weights, modelName)); err != nil {
		return nil, nil, nil, err
	}
	return set, net, w, nil
}
