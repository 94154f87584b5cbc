package data

import (
	"fmt"
	"math/rand/v2"
)

// Synthetic returns n deterministic random images of c×h×w pixels drawn from
// N(0,1) with labels uniform in [0, classes), for benchmarks and tests. The
// same arguments always give the same set. It panics on non-positive sizes.
func Synthetic(n, c, h, w, classes int, seed int64) *Set {
	if n <= 0 || c <= 0 || h <= 0 || w <= 0 || classes <= 0 {
		panic(fmt.Sprintf("data: Synthetic(%d, %d, %d, %d, %d): sizes must be positive", n, c, h, w, classes))
	}
	r := rand.New(rand.NewPCG(uint64(seed), 0x6c616e64))
	s := &Set{
		Name: fmt.Sprintf("synthetic(n=%d, %dx%dx%d, classes=%d, seed=%d)", n, c, h, w, classes, seed),
		N:    n, C: c, H: h, W: w, Classes: classes,
		Images: make([]float32, n*c*h*w), Labels: make([]int32, n),
		Black: make([]float32, c), // pixels are N(0,1): pad with the mean
	}
	for i := range s.Images {
		s.Images[i] = float32(r.NormFloat64())
	}
	for i := range s.Labels {
		s.Labels[i] = int32(r.IntN(classes))
	}
	return s
}
