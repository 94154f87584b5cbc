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
		if err != nil || ch < 1 {
			return nil, true, fmt.Errorf("model %s: channel count must be at least 1", name)
		}
		n, err := narrowResnet(name, depth, ch, m[3] == "", c)
		return n, true, err
	}
	if m := vgg5Re.FindStringSubmatch(name); m != nil {
		ch, err := strconv.Atoi(m[1])
		if err != nil || ch < 1 {
			return nil, true, fmt.Errorf("model %s: channel count must be at least 1", name)
		}
		return vgg5(name, ch, c), true, nil
	}
	return nil, false, nil
}

// narrowResnet is resnet with base channel count ch (ch, 2ch, 4ch) in place of 16·width.
func narrowResnet(name string, depth, ch int, shortcut bool, c Config) (*Net, error) {
	if depth < 8 || (depth-2)%6 != 0 {
		return nil, fmt.Errorf("model %s: ResNet depth must be 6n+2 with n ≥ 1, got %d", name, depth)
	}
	n := (depth - 2) / 6
	b := newBuilder(name, c)
	x := b.relu(b.bn("bn1", b.conv("conv1", 0, ch, 3, 1, 1, false)))
	for stage, cout := range []int{ch, 2 * ch, 4 * ch} {
		for i := range n {
			stride := 1
			if stage > 0 && i == 0 {
				stride = 2
			}
			p := fmt.Sprintf("layer%d.%d", stage+1, i)
			cin := b.n.Slots[x][0]
			y := b.relu(b.bn(p+".bn1", b.conv(p+".conv1", x, cout, 3, stride, 1, false)))
			y = b.bn(p+".bn2", b.conv(p+".conv2", y, cout, 3, 1, 1, false))
			if shortcut {
				s := x
				if stride != 1 || cin != cout {
					s = b.bn(p+".shortcut.1", b.conv(p+".shortcut.0", x, cout, 1, stride, 0, false))
				}
				y = b.add(y, s)
			}
			x = b.relu(y)
		}
	}
	b.n.Output = b.linear("linear", b.avgpool(x), c.Classes)
	return b.n, nil
}

// vgg5 is the five-layer VGG described above.
func vgg5(name string, ch int, c Config) *Net {
	b := newBuilder(name, c)
	x, idx := 0, 0
	for _, v := range []int{ch, -1, 2 * ch, -1, 4 * ch, -1} {
		if v < 0 {
			x = b.maxpool(x, 2)
			idx++
			continue
		}
		x = b.conv(fmt.Sprintf("features.%d", idx), x, v, 3, 1, 1, true)
		x = b.relu(b.bn(fmt.Sprintf("features.%d", idx+1), x))
		idx += 3
	}
	x = b.relu(b.bn("fc.1", b.linear("fc.0", x, 4*ch)))
	b.n.Output = b.linear("classifier", x, c.Classes)
	return b.n
}
