// Package cpu is the reference compute engine, in Go with assembly micro-kernels (package
// gemm; pure Go with -tags noasm or on other architectures). Every other engine is tested
// against it.
//
// The per-image layer functions of this file (Conv, Linear, MaxPool, GlobalAvgPool, Epilogue)
// define what the engine computes: batch norm folded into the weights, convolutions as im2col
// followed by a matrix product, bias, residual and ReLU in an epilogue. Engine (engine.go)
// computes the same on a batch of images at a time, with each convolution one fused matrix
// product over the batch (gemm.Fused: implicit GEMM, epilogue in the micro-kernel); its
// results are bit-for-bit those of the layer functions (engine_batch_test.go).
package cpu

import (
	"math"

	"landscape/model"
)

// ConvGeom is the shape of one convolution on one image (model.Layer.Geom).
type ConvGeom = model.ConvGeom

// Conv computes one image's convolution with a fused epilogue:
//
//	out[co][p] = ReLU?( b[co] + Σ_{ci,kh,kw} w[co][ci][kh][kw]·in[ci][…] + res[co][p] )
//
// res may be nil (no residual). col is scratch of at least g.ColSize() floats (unused for 1x1
// stride-1 convolutions, which read the input directly).
func Conv(out, in, w, b, res []float32, relu bool, g ConvGeom, col []float32) {
	n := g.OH * g.OW
	k := g.Cin * g.K * g.K
	src := in
	if !g.OneByOne() {
		src = col[:k*n]
		Im2col(src, in, g, 1, 0, 1)
	}
	matmul(g.Cout, n, k, w, src, out)
	Epilogue(out, b, res, relu, n)
}

// Epilogue adds the per-channel bias, the optional residual and applies the optional ReLU to
// out, laid out as [channels][n]. ReLU keeps NaN (as PyTorch's does).
func Epilogue(out, b, res []float32, relu bool, n int) {
	for c, bc := range b {
		row := out[c*n : (c+1)*n]
		if res != nil {
			r := res[c*n : (c+1)*n]
			for i := range row {
				row[i] += bc + r[i]
			}
		} else {
			for i := range row {
				row[i] += bc
			}
		}
		if relu {
			for i, v := range row {
				if v < 0 {
					row[i] = 0
				}
			}
		}
	}
}

// Linear computes out[j] = ReLU?(b[j] + Σ_i w[j][i]·x[i]) for one image; w is [len(out)][len(x)].
func Linear(out, x, w, b []float32, relu bool) {
	matmul(len(out), 1, len(x), w, x, out)
	Epilogue(out, b, nil, relu, 1)
}

// MaxPool takes the maximum over K×K windows with stride K in ceil mode (windows that run past
// the edge cover only the part inside), per channel of in [C,H,W]; out is [C,⌈H/K⌉,⌈W/K⌉].
// A NaN in a window gives NaN, as PyTorch's does.
func MaxPool(out, in []float32, c, h, w, k int) {
	oh, ow := (h+k-1)/k, (w+k-1)/k
	for ch := range c {
		plane := in[ch*h*w:]
		for y := range oh {
			for x := range ow {
				m := float32(math.Inf(-1))
				for i := y * k; i < min(y*k+k, h); i++ {
					for j := x * k; j < min(x*k+k, w); j++ {
						if v := plane[i*w+j]; v > m || v != v {
							m = v
						}
					}
				}
				out[(ch*oh+y)*ow+x] = m
			}
		}
	}
}

// GlobalAvgPool sets out[c] to the mean of channel c of in [C, n] (accumulated in float64).
func GlobalAvgPool(out, in []float32, n int) {
	for c := range out {
		var s float64
		for _, v := range in[c*n : (c+1)*n] {
			s += float64(v)
		}
		out[c] = float32(s / float64(n))
	}
}
