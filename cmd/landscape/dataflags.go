package main

import (
	"github.com/spf13/cobra"

	"landscape/data"
)

// normalizeFlag registers --normalize, the per-channel statistics of the input normalisation.
func normalizeFlag(c *cobra.Command, p *string) {
	c.Flags().StringVar(p, "normalize", "", "MEANS:STDS, comma-separated per channel: (x − mean)/std after scaling pixels to [0,1]; replaces the kind's own (npz, imagefolder: none)")
}

// dataOptions are the data.Options the --split, --limit, --raw and --normalize flags say.
func dataOptions(split string, limit int, raw bool, normalize string) (data.Options, error) {
	opt := data.Options{Split: split, Limit: limit, Raw: raw}
	if normalize != "" {
		st, err := data.ParseStats(normalize)
		if err != nil {
			return opt, err
		}
		opt.Normalize = st
	}
	return opt, nil
}
