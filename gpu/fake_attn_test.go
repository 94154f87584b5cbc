package gpu

import (
	"fmt"

	"landscape/cpu"
	"landscape/kernels"
)

// attnKernel models the kernels of vision transformers (attn.cu, bmm.cu) from the math at the
// top of each file, for K weight sets; ok is false for another kernel. The MMA kernels' grid
// must be one block of kernels.BmmThreads threads per output tile (they are not grid-stride loops).
func (f *fakeDevice) attnKernel(name string, grid, block dim, args []any) (ok bool, err error) {
	K := grid.z
	switch name {
	case "softmax_heads":
		a := softmaxHeadsArgsOf(args)
		in, out := view[float32](f, a.In), view[float32](f, a.Out)
		inSet, B, C, HW, heads := int(a.InSetStride), int(a.B), int(a.C), int(a.HW), int(a.Heads)
		if heads < 1 || C%heads != 0 {
			return true, fmt.Errorf("softmax_heads: %d heads of %d channels", heads, C)
		}
		for k := range K {
			for b := range B {
				cpu.SoftmaxChannels(out[(k*B+b)*C*HW:], in[k*inSet+b*C*HW:], C, heads, HW, HW, HW)
			}
		}
	case "cat_tokens":
		a := catTokensArgsOf(args)
		in, tok, out := view[float32](f, a.In), view[float32](f, a.Tok), view[float32](f, a.Out)
		inSet, wSet, B, C, hwIn, kt := int(a.InSetStride), int(a.WSetStride), int(a.B), int(a.C), int(a.HWin), int(a.Kt)
		hw := hwIn + kt
		for k := range K {
			for b := range B {
				for c := range C {
					o := out[((k*B+b)*C+c)*hw:][:hw]
					for p := range kt {
						o[p] = tok[k*wSet+p*C+c]
					}
					copy(o[kt:], in[k*inSet+(b*C+c)*hwIn:][:hwIn])
				}
			}
		}
	case "gather_pixels":
		a := gatherPixelsArgsOf(args)
		in, perm, out := view[float32](f, a.In), view[int32](f, a.Perm), view[float32](f, a.Out)
		inSet, B, C, hwIn, hwOut := int(a.InSetStride), int(a.B), int(a.C), int(a.HWin), int(a.HWout)
		for k := range K {
			for bc := range B * C {
				for j, p := range perm[:hwOut] {
					out[(k*B*C+bc)*hwOut+j] = 0 // a padding pixel when p < 0
					if p >= 0 {
						out[(k*B*C+bc)*hwOut+j] = in[k*inSet+bc*hwIn+int(p)]
					}
				}
			}
		}
	case "matmul_heads", "matmul_heads_tf32", "matmul_heads_bf16":
		a := bmmArgsOf(args)
		if want := BmmBlocks(int(a.B*a.Windows), int(a.Heads), int(a.M), int(a.N)); name != "matmul_heads" && (grid.x != want || block.x != kernels.BmmThreads) {
			return true, fmt.Errorf("%s: grid %+v block %+v, want %d blocks of %d threads", name, grid, block, want, kernels.BmmThreads)
		}
		f.bmm(K, a, map[string]string{"matmul_heads": "f32", "matmul_heads_tf32": "tf32", "matmul_heads_bf16": "bf16"}[name])
	default:
		return false, nil
	}
	return true, nil
}

// bmm models bmm.cu: Out_kbgw[i][j] = Σ_l r(op(P)[i][l])·r(A[l][j]) for each window w of W,
// the operands rounded as the precision says, the sum in float64 (the kernels sum in float32,
// in another order).
func (f *fakeDevice) bmm(K int, a bmmArgs, prec string) {
	A, P, out := view[float32](f, a.A), view[float32](f, a.P), view[float32](f, a.Out)
	aSet, pSet := int(a.ASetStride), int(a.PSetStride)
	B, heads, M, N, Kd, W := int(a.B), int(a.Heads), int(a.M), int(a.N), int(a.Kd), int(a.Windows)
	ldp := Kd * W // In2's pixels per channel
	if a.Trans != 0 {
		ldp = N * W
	}
	rnd := roundTo(prec)
	for k := range K {
		for bg := range B * heads {
			for w := range W {
				ag, pg := A[k*aSet+bg*Kd*M*W+w*M:], P[k*pSet+bg*N*Kd*W+w*ldp/W:]
				og := out[((k*B*heads)+bg)*N*M*W+w*M:]
				for i := range N {
					for j := range M {
						var s float64
						for l := range Kd {
							var pv float32
							if a.Trans != 0 {
								pv = pg[l*ldp+i]
							} else {
								pv = pg[i*ldp+l]
							}
							s += float64(rnd(pv)) * float64(rnd(ag[l*M*W+j]))
						}
						og[i*M*W+j] = float32(s)
					}
				}
			}
		}
	}
}
