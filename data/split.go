package data

import "fmt"

// CheckSplit is the one check of a split's name, for data sets and surface files alike: nil
// when split is "train" or "test", else an error naming what (a flag such as "--split", or
// "split") and the value, e.g. `--split "val": want train or test`.
func CheckSplit(what, split string) error {
	if split == "train" || split == "test" {
		return nil
	}
	return fmt.Errorf("%s %q: want train or test", what, split)
}
