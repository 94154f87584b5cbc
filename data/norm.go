package data

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Stats holds the per-channel mean and standard deviation, on the [0,1] pixel scale, of a
// normalisation x' = (x − mean)/std (torchvision's Normalize). One value applies to every
// channel, as torchvision broadcasts it.
type Stats struct{ Mean, Std []float64 }

var kindStats = map[string]*Stats{
	"fashion-mnist": {[]float64{0.2860}, []float64{0.3530}},
	"mnist":         {[]float64{0.1307}, []float64{0.3081}},
	"cifar10": {
		[]float64{125.3 / 255, 123.0 / 255, 113.9 / 255},
		[]float64{63.0 / 255, 62.1 / 255, 66.7 / 255},
	},
}

// ImageNet is torchvision's ImageNet normalisation, --normalize imagenet: the mean and
// standard deviation its pretrained classifiers were trained with.
func ImageNet() *Stats {
	return &Stats{[]float64{0.485, 0.456, 0.406}, []float64{0.229, 0.224, 0.225}}
}

// ParseStats parses the --normalize value "MEANS:STDS", each a comma-separated list with one
// number per channel (or one for all channels), e.g. "0.4914,0.4822,0.4465:0.247,0.243,0.261",
// or "imagenet" for ImageNet.
func ParseStats(s string) (*Stats, error) {
	if s == "imagenet" {
		return ImageNet(), nil
	}
	ms, ss, ok := strings.Cut(s, ":")
	if !ok {
		return nil, fmt.Errorf("--normalize %q: want MEANS:STDS, e.g. 0.5,0.5,0.5:0.25,0.25,0.25, or imagenet", s)
	}
	list := func(what, v string) ([]float64, error) {
		var out []float64
		for tok := range strings.SplitSeq(v, ",") {
			f, err := strconv.ParseFloat(strings.TrimSpace(tok), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("--normalize %q: %s %q is not a finite number", s, what, tok)
			}
			out = append(out, f)
		}
		return out, nil
	}
	st := &Stats{}
	var err error
	if st.Mean, err = list("mean", ms); err != nil {
		return nil, err
	}
	if st.Std, err = list("std", ss); err != nil {
		return nil, err
	}
	if len(st.Mean) != len(st.Std) {
		return nil, fmt.Errorf("--normalize %q: %d means but %d standard deviations", s, len(st.Mean), len(st.Std))
	}
	for i, v := range st.Std {
		if v <= 0 {
			return nil, fmt.Errorf("--normalize %q: standard deviation %g, want > 0", s, v)
		}
		if !finiteRange(float32(st.Mean[i]), float32(v)) {
			return nil, fmt.Errorf("--normalize %q: mean %g and standard deviation %g take pixels in [0, 1] outside float32's range", s, st.Mean[i], v)
		}
	}
	return st, nil
}

// finiteRange reports whether (x − mean)/std is a finite float32 for every x in [0, 1], as
// the images are normalised (the ends are the extremes: the map is monotonic).
func finiteRange(mean, std float32) bool {
	ok := func(v float32) bool { return !math.IsInf(float64(v), 0) && !math.IsNaN(float64(v)) }
	return std > 0 && ok((0-mean)/std) && ok((1-mean)/std)
}

// String is the --normalize form of st.
func (st *Stats) String() string {
	f := func(v []float64) string {
		p := make([]string, len(v))
		for i, x := range v {
			p[i] = strconv.FormatFloat(x, 'g', -1, 64)
		}
		return strings.Join(p, ",")
	}
	return f(st.Mean) + ":" + f(st.Std)
}

// float32s returns each of c channels' mean and std as float32, broadcasting a single value.
func (st *Stats) float32s(c int) (mean, std []float32, err error) {
	if len(st.Mean) != c && len(st.Mean) != 1 {
		return nil, nil, fmt.Errorf("--normalize %s: %d values per list for %d-channel images (want %d, or 1 for all)", st, len(st.Mean), c, c)
	}
	mean, std = make([]float32, c), make([]float32, c)
	for i := range c {
		j := min(i, len(st.Mean)-1)
		mean[i], std[i] = float32(st.Mean[j]), float32(st.Std[j])
	}
	return mean, std, nil
}

// statsFor decides the normalisation of a kind: --normalize if given, else none with --raw,
// else the kind's built-in statistics (none for npz and imagefolder).
func statsFor(kind string, opt Options) (*Stats, error) {
	if opt.Raw && opt.Normalize != nil {
		return nil, fmt.Errorf("--raw and --normalize %s contradict each other: give one", opt.Normalize)
	}
	if opt.Raw {
		return nil, nil
	}
	if opt.Normalize != nil {
		return opt.Normalize, nil
	}
	return kindStats[kind], nil
}

// tables returns, for each of c channels, the float32 value of every byte. It reproduces
// torchvision's ToTensor then Normalize bit for bit: x is float32(b)/255 in float32, then
// (x − float32(mean)) / float32(std) in float32; st nil means no normalisation.
func tables(st *Stats, c int) ([][256]float32, error) {
	t := make([][256]float32, c)
	for ch := range t {
		for b := range 256 {
			t[ch][b] = float32(b) / 255
		}
	}
	if st == nil {
		return t, nil
	}
	mean, std, err := st.float32s(c)
	if err != nil {
		return nil, err
	}
	for ch := range t {
		for b := range 256 {
			t[ch][b] = (t[ch][b] - mean[ch]) / std[ch]
		}
	}
	return t, nil
}

// normalizeFloats applies (x − mean)/std in float32 to float pixels in NCHW order, in place.
func normalizeFloats(px []float32, c, hw int, st *Stats) error {
	if st == nil {
		return nil
	}
	mean, std, err := st.float32s(c)
	if err != nil {
		return err
	}
	for i := range px {
		ch := i / hw % c
		px[i] = (px[i] - mean[ch]) / std[ch]
	}
	return nil
}

// convert writes tab[b] into dst for every byte b of src.
func convert(dst []float32, src []byte, tab *[256]float32) {
	dst = dst[:len(src)]
	for i, b := range src {
		dst[i] = tab[b]
	}
}
