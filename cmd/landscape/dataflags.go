package main

import (
	"strings"

	"github.com/spf13/cobra"

	"landscape/data"
	"landscape/job"
)

// inputFlags are the flags of job.Input, the data of scan, train and hessian: --data, --split,
// --limit, --raw, --normalize, --resize and --center-crop.
type inputFlags struct {
	in        job.Input
	normalize string
}

// register adds the flags to c; what says what the images are for, in the help of --split and
// --limit ("evaluate on", "train on").
func (f *inputFlags) register(c *cobra.Command, what string) {
	fl := c.Flags()
	fl.StringVar(&f.in.Data, "data", "", "dataset KIND:PATH, KIND one of "+strings.Join(data.Kinds(), ", "))
	fl.StringVar(&f.in.Split, "split", "train", "split to "+what+": train or test")
	fl.IntVar(&f.in.Limit, "limit", 0, what+" the first N examples only (0: all)")
	fl.BoolVar(&f.in.Raw, "raw", false, "scale pixels to [0,1] without mean/std normalisation")
	fl.StringVar(&f.normalize, "normalize", "", "MEANS:STDS, comma-separated per channel, or imagenet (torchvision's ImageNet statistics): (x − mean)/std after scaling pixels to [0,1]; replaces the kind's own (npz, imagefolder: none)")
	fl.IntVar(&f.in.Resize, "resize", 0, "imagefolder: scale each image's shorter side to S pixels first, as torchvision's Resize(S) on PIL images (bilinear, antialiased)")
	fl.IntVar(&f.in.CenterCrop, "center-crop", 0, "imagefolder: then keep the central C×C pixels, as torchvision's CenterCrop(C)")
}

// input is the job.Input the flags say.
func (f *inputFlags) input() (job.Input, error) {
	in := f.in
	if f.normalize != "" {
		st, err := data.ParseStats(f.normalize)
		if err != nil {
			return in, err
		}
		in.Normalize = st
	}
	return in, nil
}
