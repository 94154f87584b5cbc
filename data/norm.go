package data

// stats holds the per-channel mean and standard deviation, on the [0,1]
// pixel scale, used to normalise one kind of dataset.
type stats struct{ mean, std []float64 }

var kindStats = map[string]stats{
	"fashion-mnist": {[]float64{0.2860}, []float64{0.3530}},
	"mnist":         {[]float64{0.1307}, []float64{0.3081}},
	"cifar10": {
		[]float64{125.3 / 255, 123.0 / 255, 113.9 / 255},
		[]float64{63.0 / 255, 62.1 / 255, 66.7 / 255},
	},
}

// tables returns, for each channel of kind, the float32 value of every byte.
// It reproduces torchvision's ToTensor then Normalize bit for bit: x is
// float32(b)/255 in float32, then (x - float32(mean)) / float32(std) in float32.
func tables(kind string, raw bool) [][256]float32 {
	st := kindStats[kind]
	t := make([][256]float32, len(st.mean))
	for c := range t {
		m, s := float32(st.mean[c]), float32(st.std[c])
		for b := range 256 {
			x := float32(b) / 255
			if !raw {
				x = (x - m) / s
			}
			t[c][b] = x
		}
	}
	return t
}

// convert writes tab[b] into dst for every byte b of src.
func convert(dst []float32, src []byte, tab *[256]float32) {
	dst = dst[:len(src)]
	for i, b := range src {
		dst[i] = tab[b]
	}
}
