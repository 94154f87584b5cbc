package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"landscape/internal/cputime"
)

type benchShape struct {
	m, k, n int
	transB  bool
}

func (s benchShape) name() string {
	t := ""
	if s.transB {
		t = "_tB"
	}
	return fmt.Sprintf("m%d_k%d_n%d%s", s.m, s.k, s.n, t)
}

// benchShapes are the im2col GEMMs of CIFAR ResNet convolutions (m = output
// channels, k = input channels·9 or input channels for 1×1, n = output
// pixels·batch) and small linear layers (m = batch, B stored n×k).
var benchShapes = []benchShape{
	// 3×3 convolutions, batch 1.
	{16, 27, 1024, false},
	{16, 144, 1024, false},
	{32, 288, 256, false},
	{64, 576, 64, false},
	{64, 576, 1024, false},
	{128, 1152, 256, false},
	{256, 2304, 64, false},
	{512, 2304, 64, false},
	// 3×3 convolutions, batch 16.
	{16, 144, 16384, false},
	{32, 288, 4096, false},
	{64, 576, 1024 * 4, false},
	{128, 1152, 4096, false},
	// 1×1 shortcut convolutions, batch 16.
	{32, 16, 4096, false},
	{128, 64, 4096, false},
	// Linear layers.
	{64, 64, 10, true},
	{64, 512, 10, true},
	{32, 4096, 256, true},
	{128, 2048, 128, true},
}

func benchSgemm(b *testing.B, s benchShape) {
	rng := rand.New(rand.NewPCG(1, 1))
	a := make([]float32, s.m*s.k)
	bb := make([]float32, s.k*s.n)
	c := make([]float32, s.m*s.n)
	for i := range a {
		a[i] = rng.Float32()
	}
	for i := range bb {
		bb[i] = rng.Float32()
	}
	ldb := s.n
	if s.transB {
		ldb = s.k
	}
	var w Workspace
	w.Sgemm(false, s.transB, s.m, s.n, s.k, 1, a, s.k, bb, ldb, 0, c, s.n)
	b.ResetTimer()
	for b.Loop() {
		w.Sgemm(false, s.transB, s.m, s.n, s.k, 1, a, s.k, bb, ldb, 0, c, s.n)
	}
	flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkSgemm measures the implementation in use (Impl()).
func BenchmarkSgemm(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(s.name(), func(b *testing.B) { benchSgemm(b, s) })
	}
}

// BenchmarkSgemmImpl measures every available implementation.
func BenchmarkSgemmImpl(b *testing.B) {
	saved := current
	defer func() { current = saved }()
	for _, name := range implNames() {
		b.Run(name, func(b *testing.B) {
			for _, s := range benchShapes {
				setImpl(name)
				b.Run(s.name(), func(b *testing.B) { benchSgemm(b, s) })
			}
		})
	}
}

// convGathered returns the Gathered B of a 3×3, stride-1, pad-1 convolution
// over cin channels of batch h×w images laid out as the CPU engine does (row
// ci holds the batch's planes, ld apart, after a guard of w+1 floats).
func convGathered(cin, h, w, batch int) (*Gathered, int) {
	n := batch * h * w
	ld := n + 16
	guard := w + 1
	g := &Gathered{Data: make([]float32, cin*ld+2*guard)}
	rng := rand.New(rand.NewPCG(2, 2))
	for i := range g.Data {
		g.Data[i] = rng.Float32()
	}
	words := ld / 16
	g.Masks = make([]uint16, 9*words)
	for t := range 9 {
		kh, kw := t/3, t%3
		for q := range n {
			y, x := q%(h*w)/w+kh-1, q%w+kw-1
			if y >= 0 && y < h && x >= 0 && x < w {
				g.Masks[t*words+q/16] |= 1 << (q % 16)
			}
		}
	}
	for ci := range cin {
		for t := range 9 {
			kh, kw := t/3, t%3
			g.Off = append(g.Off, int32(guard+ci*ld+(kh-1)*w+kw-1))
			g.Mask = append(g.Mask, int32(t*words))
		}
	}
	return g, n
}

// BenchmarkFused measures Fused on the 3×3 convolutions of a CIFAR ResNet
// over a batch of 8 images (m = output channels, k = 9·input channels, n = 8·pixels),
// with bias, residual and ReLU, for every implementation.
func BenchmarkFused(b *testing.B) {
	saved := current
	defer func() { current = saved }()
	shapes := []struct{ cout, cin, hw int }{{16, 3, 32}, {16, 16, 32}, {32, 32, 16}, {64, 64, 8}}
	for _, name := range implNames() {
		b.Run(name, func(b *testing.B) {
			for _, s := range shapes {
				g, n := convGathered(s.cin, s.hw, s.hw, 8)
				m, k := s.cout, 9*s.cin
				b.Run(fmt.Sprintf("m%d_k%d_n%d", m, k, n), func(b *testing.B) {
					setImpl(name)
					a, c, res, bias := make([]float32, m*k), make([]float32, m*n), make([]float32, m*n), make([]float32, m)
					var w Workspace
					for b.Loop() {
						w.Fused(m, n, k, a, k, g, c, n, bias, res, n, true)
					}
					flops := 2 * float64(m) * float64(n) * float64(k)
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		})
	}
}

// BenchmarkFusedBF16 measures FusedBF16W (weights packed beforehand) on the shapes of
// BenchmarkFused (plus wider layers), with each bfloat16 implementation, beside Fused in
// float32 with the best kernels.
func BenchmarkFusedBF16(b *testing.B) {
	saved := bf16Current
	defer func() { bf16Current = saved }()
	shapes := []struct{ cout, cin, hw int }{{16, 3, 32}, {16, 16, 32}, {32, 32, 16}, {64, 64, 8}, {128, 128, 8}, {256, 256, 4}}
	names := []string{"fp32"}
	for _, im := range archBF16s() {
		names = append(names, im.name())
	}
	for _, name := range names {
		b.Run(name, func(b *testing.B) {
			for _, s := range shapes {
				g, n := convGathered(s.cin, s.hw, s.hw, 8)
				RoundBF16s(g.Data)
				m, k := s.cout, 9*s.cin
				b.Run(fmt.Sprintf("m%d_k%d_n%d", m, k, n), func(b *testing.B) {
					a, c, res, bias := make([]float32, m*k), make([]float32, m*n), make([]float32, m*n), make([]float32, m)
					var w Workspace
					// The weights packed once, as the CPU engine packs them once per weight set.
					var bw BF16Weights
					if name != "fp32" {
						SetBF16Impl(name)
						bw.Pack(m, k, a, k)
					}
					for b.Loop() {
						if name == "fp32" {
							w.Fused(m, n, k, a, k, g, c, n, bias, res, n, true)
						} else {
							w.FusedBF16W(&bw, n, g, c, n, bias, res, n, true, false)
						}
					}
					flops := 2 * float64(m) * float64(n) * float64(k)
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")

				})
			}
		})
	}
}

// convPaired is convGathered's B as channel pairs (cin even): pair (q, tap) reads channels 2q
// and 2q+1 at the shift of tap, from an activation of cin/2 rows of pairs.
func convPaired(g *Gathered, cin int) *Paired {
	ld := int(g.Off[9] - g.Off[0]) // one channel further
	guard := int(g.Off[4])         // the centre tap reads the first channel unshifted
	p := &Paired{Data: make([]uint32, cin/2*ld+2*guard), Masks: g.Masks}
	for q := range cin / 2 {
		lo, hi := g.Data[guard+2*q*ld:][:ld], g.Data[guard+(2*q+1)*ld:][:ld]
		PackPairs(p.Data[guard+q*ld:][:ld], lo, hi)
		for tap := range 9 {
			p.Off = append(p.Off, g.Off[2*q*9+tap]-int32(q*ld))
			p.Mask = append(p.Mask, g.Mask[tap])
		}
	}
	return p
}

// BenchmarkFusedBF16Paired compares, on each tiled bfloat16 implementation, B gathered from
// float32 rows (FusedBF16W) with B copied from channel pairs (FusedBF16Paired), for the
// 3×3 convolutions of BenchmarkFusedBF16 with an even number of input channels.
func BenchmarkFusedBF16Paired(b *testing.B) {
	saved := bf16Current
	defer func() { bf16Current = saved }()
	shapes := []struct{ cout, cin, hw int }{{16, 16, 32}, {32, 32, 16}, {64, 64, 8}, {128, 128, 8}}
	for _, im := range archBF16s() {
		SetBF16Impl(im.name())
		for _, s := range shapes {
			g, n := convGathered(s.cin, s.hw, s.hw, 8)
			RoundBF16s(g.Data)
			p := convPaired(g, s.cin)
			m, k := s.cout, 9*s.cin
			a, c, res, bias := make([]float32, m*k), make([]float32, m*n), make([]float32, m*n), make([]float32, m)
			var w Workspace
			var bw BF16Weights
			bw.Pack(m, k, a, k)
			for _, paired := range []bool{false, true} {
				b.Run(fmt.Sprintf("%s/m%d_k%d_n%d/paired=%v", im.name(), m, k, n, paired), func(b *testing.B) {
					for b.Loop() {
						if paired {
							w.FusedBF16Paired(&bw, n, p, c, n, bias, res, n, true, false)
						} else {
							w.FusedBF16W(&bw, n, g, c, n, bias, res, n, true, false)
						}
					}
					flops := 2 * float64(m) * float64(n) * float64(k)
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// BenchmarkFusedBF16Tiled compares, on AMX, B copied from channel pairs (FusedBF16Paired) with
// B's tiles read where they lie in a zero-padded grid (FusedBF16Tiled), for the 3×3
// convolutions of torchvision's resnet18 at 224×224 over 16 images; GFLOP/s of the pixels'
// products (the grid's padding computed too counts against the tiled kernel).
func BenchmarkFusedBF16Tiled(b *testing.B) {
	saved := bf16Current
	defer func() { bf16Current = saved }()
	if !SetBF16Impl("amx-bf16") {
		b.Skip("no AMX")
	}
	const images = 16
	for _, s := range []struct{ ch, hw int }{{64, 56}, {128, 28}, {256, 14}, {512, 7}} {
		m, k, px := s.ch, 9*s.ch, images*s.hw*s.hw
		flops := 2 * float64(m) * float64(k) * float64(px)
		bias, res := make([]float32, m), make([]float32, m*px)
		c := make([]float32, m*px)
		var w Workspace
		b.Run(fmt.Sprintf("m%d_k%d_%dx%d/paired", m, k, s.hw, s.hw), func(b *testing.B) {
			g, n := convGathered(s.ch, s.hw, s.hw, images)
			RoundBF16s(g.Data)
			p := convPaired(g, s.ch)
			var bw BF16Weights
			bw.Pack(m, k, make([]float32, m*k), k)
			c := make([]float32, m*n)
			res := make([]float32, m*n)
			for b.Loop() {
				w.FusedBF16Paired(&bw, n, p, c, n, bias, res, n, true, true)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("m%d_k%d_%dx%d/tiled", m, k, s.hw, s.hw), func(b *testing.B) {
			tc := newTiledConv(rand.New(rand.NewPCG(1, 2)), Grid{images, s.hw, s.hw}, s.ch, m)
			var bw BF16Weights
			bw.Pack(m, k, tc.a, k)
			for b.Loop() {
				w.FusedBF16Tiled(&bw, tc.g, &tc.b, c, px, bias, res, nil, px, true, true, nil, 0)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkFusedLinear measures Fused on the Linear layers of ViT-B/16 over 2 and 16 images of
// 197 tokens (a 1×1 convolution: row p of B is channel p, every column valid; 16 is the CPU
// benchmark's batch): the MLP's 768→3072 and 3072→768 and the 768→768 projection, with the
// best float32 kernels, in GFLOP per second of wall and of CPU time.
func BenchmarkFusedLinear(b *testing.B) {
	for _, s := range []struct{ m, k, images int }{{3072, 768, 2}, {768, 3072, 2}, {768, 768, 2}, {3072, 768, 16}, {768, 3072, 16}} {
		n := roundUpTo(s.images*197, FusedNR)
		g := &Gathered{Data: make([]float32, s.k*n), Masks: make([]uint16, n/16)}
		for i := range g.Masks {
			g.Masks[i] = 0xffff
		}
		for p := range s.k {
			g.Off, g.Mask = append(g.Off, int32(p*n)), append(g.Mask, 0)
		}
		b.Run(fmt.Sprintf("m%d_k%d_n%d", s.m, s.k, n), func(b *testing.B) {
			a, c, bias := make([]float32, s.m*s.k), make([]float32, s.m*n), make([]float32, s.m)
			var w Workspace
			c0 := cputime.Process().Seconds()
			for b.Loop() {
				w.Fused(s.m, n, s.k, a, s.k, g, c, n, bias, nil, 0, false)
			}
			flops := 2 * float64(s.m) * float64(n) * float64(s.k)
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			if t := cputime.Process().Seconds() - c0; t > 0 {
				b.ReportMetric(flops*float64(b.N)/t/1e9, "GFLOP/cpu-s")
			}
		})
	}
}

func roundUpTo(x, m int) int { return (x + m - 1) / m * m }
