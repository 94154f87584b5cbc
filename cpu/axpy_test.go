package cpu

import (
	"fmt"
	"landscape/model"
	"math"
	"math/rand/v2"
	"testing"
)

// TestAxpy checks axpy (AVX-512 where present) bit for bit against the Go loop, for lengths
// around the vector width, and that it writes nothing past dst.
func TestAxpy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{0, 1, 7, 15, 16, 17, 31, 56, 112, 113} {
		src := make([]float32, n+5)
		buf := make([]float32, n+5)
		for i := range src {
			src[i] = rng.Float32()*2 - 1
			buf[i] = rng.Float32()*2 - 1
		}
		want := append([]float32(nil), buf...)
		a := rng.Float32()*4 - 2
		axpyGo(want[:n], src, a)
		axpy(buf[:n], src, a)
		for i := range buf {
			if math.Float32bits(buf[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n=%d: element %d = %v, want %v", n, i, buf[i], want[i])
			}
		}
	}
}

// BenchmarkDepthwise: a depthwise 3×3 stride-1 convolution of MobileNetV2's shapes (one image),
// with the vectorised rows (asm) and the Go loop (go).
func BenchmarkDepthwise(b *testing.B) {
	saved := hasAxpyAsm
	defer func() { hasAxpyAsm = saved }()
	for _, s := range []struct{ c, hw int }{{96, 112}, {144, 56}, {192, 28}, {384, 14}, {960, 7}} {
		for _, asm := range []bool{true, false} {
			name := map[bool]string{true: "asm", false: "go"}[asm]
			b.Run(fmt.Sprintf("c%d_%dx%d/%s", s.c, s.hw, s.hw, name), func(b *testing.B) {
				hasAxpyAsm = asm && saved
				n := s.hw * s.hw
				in, out := make([]float32, s.c*n), make([]float32, s.c*n)
				w, bias := make([]float32, s.c*9), make([]float32, s.c)
				is := [3]int{s.c, s.hw, s.hw}
				win := model.Window{KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1}
				for b.Loop() {
					GroupConv(out, in, w, bias, is, is, win, s.c, n, n)
				}
				b.ReportMetric(float64(2*9*s.c*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
