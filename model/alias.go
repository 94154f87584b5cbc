package model

import (
	"regexp"
	"strings"
)

// paperNameRe matches the model names of the paper's code (cifar10/model_loader.py), which
// join with underscores what the zoo joins with hyphens: resnet56_noshort, wrn56_2, wrn56_2_noshort.
var paperNameRe = regexp.MustCompile(`^(resnet\d+|wrn\d+_\d+)(_noshort)?$`)

// Canonical returns the zoo name of a network: the paper's underscore names become the zoo's
// hyphenated ones (resnet20_noshort → resnet20-noshort); other names are returned unchanged.
func Canonical(name string) string {
	if paperNameRe.MatchString(name) {
		return strings.ReplaceAll(name, "_", "-")
	}
	return name
}
