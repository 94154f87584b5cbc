package train

import (
	"math"
	"math/rand/v2"

	"landscape/data"
)

// WriteSyntheticIDX writes a small learnable stand-in for Fashion-MNIST to dir, in its IDX
// format (train-… and t10k-…-idx?-ubyte.gz): 28×28 grey images of 10 classes. Class k is a
// fixed random pattern — three Gaussian blobs and a stripe texture at a class-specific angle —
// and each image is its class's pattern shifted by up to 2 pixels, scaled in brightness by
// 0.7 … 1.3, with Gaussian pixel noise (σ = 0.15) added, clipped to [0, 1]. The same seed
// gives the same files.
func WriteSyntheticIDX(dir string, nTrain, nTest int, seed int64) error {
	const hw, classes = 28, 10
	r := rand.New(rand.NewPCG(uint64(seed), 0x73796e74))
	tmpl := make([][]float64, classes)
	for k := range tmpl {
		t := make([]float64, (hw+4)*(hw+4))
		ang := math.Pi * float64(k) / classes
		freq := 0.5 + 0.3*r.Float64()
		type blob struct{ y, x, s, a float64 }
		var bs []blob
		for range 3 {
			bs = append(bs, blob{8 + 16*r.Float64(), 8 + 16*r.Float64(), 2 + 3*r.Float64(), 0.4 + 0.6*r.Float64()})
		}
		for y := range hw + 4 {
			for x := range hw + 4 {
				v := 0.25 * (1 + math.Sin(freq*(math.Cos(ang)*float64(x)+math.Sin(ang)*float64(y))))
				for _, b := range bs {
					d := (float64(y)-b.y)*(float64(y)-b.y) + (float64(x)-b.x)*(float64(x)-b.x)
					v += b.a * math.Exp(-d/(2*b.s*b.s))
				}
				t[y*(hw+4)+x] = v
			}
		}
		tmpl[k] = t
	}
	gen := func(n int) ([]uint8, []uint8) {
		img, lab := make([]uint8, n*hw*hw), make([]uint8, n)
		for i := range n {
			k := r.IntN(classes)
			lab[i] = uint8(k)
			dy, dx := r.IntN(5), r.IntN(5)
			a := 0.7 + 0.6*r.Float64()
			for y := range hw {
				for x := range hw {
					v := a*tmpl[k][(y+dy)*(hw+4)+x+dx] + 0.15*r.NormFloat64()
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
