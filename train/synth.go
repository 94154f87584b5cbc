package train

import (
	"math"
	"math/rand/v2"

	"landscape/data"
)

// WriteSyntheticIDX writes a small learnable stand-in for Fashion-MNIST to dir, in its IDX
// format (train-… and t10k-…-idx?-ubyte.gz): 28×28 grey images of 10 classes, not trivially
// separable. Class k's pattern is a shared random pattern plus a much weaker class-specific one
// (three Gaussian blobs and a stripe texture at a class-specific angle); each image is its
// class's pattern shifted by up to 4 pixels, scaled in brightness by 0.6 … 1.4, with Gaussian
// pixel noise (σ = 0.4) added, clipped to [0, 1]. The same seed gives the same files.
func WriteSyntheticIDX(dir string, nTrain, nTest int, seed int64) error {
	const hw, classes = 28, 10
	r := rand.New(rand.NewPCG(uint64(seed), 0x73796e74))
	const pad = 8
	pattern := func() []float64 {
		t := make([]float64, (hw+pad)*(hw+pad))
		ang := math.Pi * r.Float64()
		freq := 0.5 + 0.3*r.Float64()
		type blob struct{ y, x, s, a float64 }
		var bs []blob
		for range 3 {
			bs = append(bs, blob{8 + 16*r.Float64(), 8 + 16*r.Float64(), 2 + 3*r.Float64(), 0.4 + 0.6*r.Float64()})
		}
		for y := range hw + pad {
			for x := range hw + pad {
				v := 0.25 * (1 + math.Sin(freq*(math.Cos(ang)*float64(x)+math.Sin(ang)*float64(y))))
				for _, b := range bs {
					d := (float64(y)-b.y)*(float64(y)-b.y) + (float64(x)-b.x)*(float64(x)-b.x)
					v += b.a * math.Exp(-d/(2*b.s*b.s))
				}
				t[y*(hw+pad)+x] = v
			}
		}
		return t
	}
	common := pattern()
	tmpl := make([][]float64, classes)
	for k := range tmpl {
		tmpl[k] = pattern()
		for i, v := range common {
			tmpl[k][i] = 0.7*v + 0.3*tmpl[k][i]
		}
	}
	gen := func(n int) ([]uint8, []uint8) {
		img, lab := make([]uint8, n*hw*hw), make([]uint8, n)
		for i := range n {
			k := r.IntN(classes)
			lab[i] = uint8(k)
			dy, dx := r.IntN(pad+1), r.IntN(pad+1)
			a := 0.6 + 0.8*r.Float64()
			for y := range hw {
				for x := range hw {
					v := a*tmpl[k][(y+dy)*(hw+pad)+x+dx] + 0.4*r.NormFloat64()
					img[i*hw*hw+y*hw+x] = uint8(math.Round(255 * min(1, max(0, v))))
				}
			}
		}
		return img, lab
	}
	img, lab := gen(nTrain)
	if err := data.WriteIDX(dir, "train", img, lab, nTrain, hw, hw, true); err != nil {
		return err
	}
	img, lab = gen(nTest)
	return data.WriteIDX(dir, "test", img, lab, nTest, hw, hw, true)
}
