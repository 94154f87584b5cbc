package gpu

import (
	"fmt"
	"runtime"
	"sync"

	"landscape/cpu/gemm"
	"landscape/kernels"
)

// conv models conv_tile.cuh's GEMM: Out_k[b][m][p] = ReLU?(Σ_r W'_k[m][r]·X_k[r][(b,p)] + (b'_k[m] + Res_k)),
// reading W' tap-major and decoding taps itself for the fast kernels (conv_fast.cu, and the halo
// kernels conv_halo.cu, which trap on a layer they cannot take), through the tap table for the
// reference ones. The operands are rounded once per weight set and image, and multiplied by
// gemm.Sgemm (gemmModel.run).
func (f *fakeDevice) conv(k kernels.Kernel, grid, block dim, a convArgs) error {
	prec, fast := k.Precision, k.Family != "conv"
	B, cin, h, w, cout, oh, ow := int(a.B), int(a.Cin), int(a.H), int(a.W), int(a.Cout), int(a.OH), int(a.OW)
	ks, inSet, wSet := int(a.KS), int(a.InSetStride), int(a.WSetStride)
	if err := f.convLaunchOK(k, grid, block, a); err != nil {
		return err
	}
	// bf16: activations stored as bf16 (widened as read, rounded as stored); bf16f: float32.
	act16 := prec == "bf16"
	if prec == "bf16f" {
		prec = "bf16"
	}
	wts, bias := view[float32](f, a.Weights), view[float32](f, a.Bias)
	in, res, out := actsAt(f, a.In, act16), actsAt(f, a.Res, act16), actsAt(f, a.Out, act16)
	g := gemmModel{cin: cin, h: h, w: w, oh: oh, ow: ow, stride: int(a.Stride), pad: int(a.Pad), r: cin * ks * ks}
	g.taps = make([]int32, 0, 2*g.r) // the reference kernels' table, or the fast kernels' own decode
	if fast {
		for ci := range cin {
			for kh := range ks {
				for kw := range ks {
					g.taps = append(g.taps, int32((ci*h+kh)*w+kw), int32(kh<<16|kw))
				}
			}
		}
	} else {
		g.taps = view[int32](f, a.Taps)[:2*g.r]
	}
	rnd := roundTo(prec)
	widx := func(t int) int { // W' index of reduction index t = ci·ks² + tap
		if fast {
			return t%(ks*ks)*cin + t/(ks*ks)
		}
		return t
	}
	wk, x, npix := make([]float32, cout*g.r), make([]float32, cin*h*w), oh*ow
	outSet := B * npix * cout
	for k := range grid.z {
		for m := range cout {
			for t := range g.r {
				wk[m*g.r+t] = rnd(wts[k*wSet+m*g.r+widx(t)])
			}
		}
		for b := range B {
			for i := range x {
				x[i] = rnd(in.at(k*inSet + b*cin*h*w + i))
			}
			sums := g.run(wk, x, cout)
			for m := range cout {
				for p := range npix {
					o := k*outSet + (b*cout+m)*npix + p
					v := sums[m*npix+p]
					if a.Res != 0 {
						v += bias[k*wSet+m] + res.at(o)
					} else {
						v += bias[k*wSet+m]
					}
					if a.Relu != 0 && v < 0 {
						v = 0
					}
					out.set(o, v)
				}
			}
		}
	}
	return nil
}

// gemmModel is one image's convolution as the conv kernels' GEMM: reduction index t reads the
// input at the tap table's offset taps[2t] from the window's corner, at row and column offsets
// taps[2t+1]>>16 and &0xffff (outside the image: no product).
type gemmModel struct {
	cin, h, w, oh, ow, stride, pad, r int
	taps                              []int32
}

// run returns sums[m][p] = Σ_t wk[m][t]·x[tap t of pixel p] for the operands as rounded: the
// products of tf32 or bf16 operands are exact in float32, and the sums are float32, as the
// kernels' accumulators (in gemm.Sgemm's order, not theirs), over the pixels in parallel.
func (g gemmModel) run(wk, x []float32, cout int) []float32 {
	npix := g.oh * g.ow
	col, sums := make([]float32, g.r*npix), make([]float32, cout*npix)
	parallelFor(g.r, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			g.row(col[t*npix:][:npix], x, t)
		}
	})
	parallelFor(npix, func(lo, hi int) {
		gemm.Sgemm(false, false, cout, hi-lo, g.r, 1, wk, g.r, col[lo:], npix, 0, sums[lo:], npix)
	})
	return sums
}

// row sets row[p] to the input under reduction index t at output pixel p (0 outside the image).
func (g gemmModel) row(row, x []float32, t int) {
	dh, dw, off := int(g.taps[2*t+1]>>16), int(g.taps[2*t+1]&0xffff), int(g.taps[2*t])
	for p := range row {
		ih0, iw0 := p/g.ow*g.stride-g.pad, p%g.ow*g.stride-g.pad
		row[p] = 0
		if ih, iw := ih0+dh, iw0+dw; ih >= 0 && ih < g.h && iw >= 0 && iw < g.w {
			row[p] = x[ih0*g.w+iw0+off]
		}
	}
}

// parallelFor calls fn on consecutive parts of [0, n), one per processor, and waits; a panic in
// one (a model reading outside its memory) is raised again in the caller, where the fake
// device's launch recovers it as a device fault.
func parallelFor(n int, fn func(lo, hi int)) {
	parts := min(runtime.GOMAXPROCS(0), n)
	if parts <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var fault any
	for i := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					mu.Lock()
					fault = r
					mu.Unlock()
				}
			}()
			fn(i*n/parts, (i+1)*n/parts)
		}()
	}
	wg.Wait()
	if fault != nil {
		panic(fmt.Sprint(fault))
	}
}
