package model

import (
	"fmt"
	"regexp"
	"strconv"
)

// Small networks for the demo and for tests: the paper's architectures shrunk so that they
// train in seconds on a CPU.
//
//   - "resnetD-cC" and "resnetD-cC-noshort": the CIFAR ResNet of depth D = 6n+2 (see resnet)
//     with C, 2C, 4C channels in its three stages instead of 16, 32, 64, e.g. resnet20-c4
//     (4/8/16 channels, about 17k parameters) or resnet56-c4 — deep and narrow, where the
//     paper sees skip connections matter most.
//   - "vgg5-cC": VGG-9's layout with three conv3x3(bias)+BN+ReLU layers of C, 2C and 4C
//     channels, each followed by a 2x2 ceil-mode max pool (features.0, 1 | 3 | 4, 5 | 7 | 8, 9
//     | 11), then fc.0 Linear(4C·s·s → 4C), fc.1 BatchNorm1d, ReLU and classifier
//     Linear(4C → classes): five weight layers.
//
// State_dict names follow the full-size networks, so the same tools (and PyTorch's
// definitions with the widths changed) read them.
var (
	narrowResnetRe = regexp.MustCompile(`^resnet(\d+)-c(\d+)(-noshort)?$`)
	vgg5Re         = regexp.MustCompile(`^vgg5-c(\d+)$`)
)

// SmallNames lists examples of the small networks, for help texts.
func SmallNames() []string {
	return []string{"resnet20-c4", "resnet20-c4-noshort", "resnet56-c4", "resnet56-c4-noshort", "vgg5-c8"}
}

// buildSmall builds the small network called name; ok is false when name is not one.
func buildSmall(name string, c Config) (n *Net, ok bool, err error) {
	if m := narrowResnetRe.FindStringSubmatch(name); m != nil {
		depth, _ := strconv.Atoi(m[1])
		ch, err := strconv.Atoi(m[2])
		if err != nil || ch < 1 || ch > maxZooChannels {
			return nil, true, fmt.Errorf("model %s: channel count must be 1 to %d", name, maxZooChannels)
		}
		n, err := resnet(name, depth, ch, m[3] == "", c)
		return n, true, err
	}
	if m := vgg5Re.FindStringSubmatch(name); m != nil {
		ch, err := strconv.Atoi(m[1])
		if err != nil || ch < 1 || ch > maxZooChannels {
			return nil, true, fmt.Errorf("model %s: channel count must be 1 to %d", name, maxZooChannels)
		}
		return vgg(name, []int{ch, -1, 2 * ch, -1, 4 * ch, -1}, 4*ch, c), true, nil
	}
	return nil, false, nil
}
