package gpu

import (
	"fmt"

	"landscape/cpu"
	"landscape/kernels"
	"landscape/model"
)

// graphKernel models the kernels of imported graphs (conv_direct.cu, eltwise.cu, concat.cu,
// layernorm.cu, pool_window.cu) from the math at the top of each file; ok is false for another kernel.
func (f *fakeDevice) graphKernel(name string, grid, block dim, args []any) (ok bool, err error) {
	if grid.z < 1 || grid.x < 1 || block.x < 1 {
		return true, fmt.Errorf("%s: empty launch grid %+v block %+v", name, grid, block)
	}
	K := grid.z
	switch name {
	case "conv_direct":
		f.acts[kernels.Act(convDirectArgsOf(args).Act)]++
		return true, f.convDirect(K, convDirectArgsOf(args))
	case "activate":
		a := activateArgsOf(args)
		f.acts[kernels.Act(a.Act)]++
		in, out, inSet, cnt := view[float32](f, a.In), view[float32](f, a.Out), int(a.InSetStride), int(a.N)
		for k := range K {
			o := out[k*cnt:][:cnt]
			copy(o, in[k*inSet:][:cnt]) // in place when the kernel runs after a GEMM-kernel layer
			fakeActivate(int(a.Act), a.Lo, a.Hi, a.Alpha, a.Beta, o)
		}
	case "arith":
		f.arith(K, arithArgsOf(args))
	case "layernorm_channels":
		f.layerNorm(K, layernormChannelsArgsOf(args))
	case "gather_channels":
		a := gatherChannelsArgsOf(args)
		in, perm, out := view[float32](f, a.In), view[int32](f, a.Perm), view[float32](f, a.Out)
		inSet, B, Cin, C, HW := int(a.InSetStride), int(a.B), int(a.Cin), int(a.C), int(a.HW)
		for k := range K {
			for b := range B {
				for c, j := range perm[:C] {
					copy(out[((k*B+b)*C+c)*HW:][:HW], in[k*inSet+(b*Cin+int(j))*HW:][:HW])
				}
			}
		}
	case "affine":
		f.acts[kernels.Act(affineArgsOf(args).Act)]++
		f.affine(K, affineArgsOf(args))
	case "binary":
		f.binary(K, binaryArgsOf(args))
	case "concat_copy":
		a := concatCopyArgsOf(args)
		in, out := view[float32](f, a.In), view[float32](f, a.Out)
		inSet, B, C, HW, Ct, c0 := int(a.InSetStride), int(a.B), int(a.C), int(a.HW), int(a.Ctotal), int(a.C0)
		for k := range K {
			for b := range B {
				copy(out[(k*B+b)*Ct*HW+c0*HW:][:C*HW], in[k*inSet+b*C*HW:][:C*HW])
			}
		}
	case "pool_window":
		return true, f.poolWindow(K, poolWindowArgsOf(args))
	default:
		return f.attnKernel(name, grid, block, args) // attn.cu, bmm.cu (fake_attn_test.go)
	}
	return true, nil
}

// affine models eltwise.cu's affine: out = act(relu?(in·scale_c + shift_c)).
func (f *fakeDevice) affine(K int, a affineArgs) {
	in, scale, shift, out := view[float32](f, a.In), view[float32](f, a.Scale), view[float32](f, a.Shift), view[float32](f, a.Out)
	inSet, wSet, B, C, HW := int(a.InSetStride), int(a.WSetStride), int(a.B), int(a.C), int(a.HW)
	for k := range K {
		for b := range B {
			for c := range C {
				o := out[k*B*C*HW+(b*C+c)*HW:][:HW]
				cpu.Affine(o, in[k*inSet+(b*C+c)*HW:][:HW], scale[k*wSet+c], shift[k*wSet+c])
				if a.Relu != 0 {
					cpu.Activate(model.OpReLU, 0, 0, 0, o, o)
				}
				fakeActivate(int(a.Act), a.Lo, a.Hi, a.Alpha, a.Beta, o)
			}
		}
	}
}

// binary models eltwise.cu's binary: BinaryOpAdd adds, BinaryOpMul multiplies, BinaryOpMulChannel
// multiplies by one factor per channel plane.
func (f *fakeDevice) binary(K int, a binaryArgs) {
	lhs, rhs, out := view[float32](f, a.Lhs), view[float32](f, a.Rhs), view[float32](f, a.Out)
	lSet, rSet, HW := int(a.LhsSetStride), int(a.RhsSetStride), int(a.HW)
	cnt := int(a.B) * int(a.C) * HW
	for k := range K {
		for i := range cnt {
			x := lhs[k*lSet+i]
			switch kernels.BinaryOp(a.Op) {
			case kernels.BinaryOpAdd:
				out[k*cnt+i] = x + rhs[k*rSet+i]
			case kernels.BinaryOpMul:
				out[k*cnt+i] = x * rhs[k*rSet+i]
			default:
				out[k*cnt+i] = x * rhs[k*rSet+i/HW]
			}
		}
	}
}

// poolWindow models pool_window.cu with cpu.PoolWindow, after checking that the host's output
// size is floor or ceil mode's.
func (f *fakeDevice) poolWindow(K int, a poolWindowArgs) error {
	in, out := view[float32](f, a.In), view[float32](f, a.Out)
	inSet, B, C, H, W, OH, OW := int(a.InSetStride), int(a.B), int(a.C), int(a.H), int(a.W), int(a.OH), int(a.OW)
	win := model.Window{KH: int(a.KH), KW: int(a.KW), SH: int(a.SH), SW: int(a.SW), DH: int(a.DH), DW: int(a.DW),
		PadT: int(a.PadT), PadL: int(a.PadL), PadB: int(a.PadB), PadR: int(a.PadR), CountPad: a.CountPad != 0}
	// The kernel takes OH, OW from the host: they must be floor or ceil mode's size.
	fh, fw := win.OutSize(H, W)
	win.Ceil = true
	ch, cw := win.OutSize(H, W)
	if !(OH == fh && OW == fw) && !(OH == ch && OW == cw) {
		return fmt.Errorf("pool_window: output %dx%d for a %dx%d input is neither floor (%dx%d) nor ceil (%dx%d) mode", OH, OW, H, W, fh, fw, ch, cw)
	}
	win.Ceil = OH == ch && OW == cw
	for k := range K {
		for pl := range B * C {
			cpu.PoolWindow(out[k*B*C*OH*OW+pl*OH*OW:][:OH*OW], in[k*inSet+pl*H*W:][:H*W], H, W, win, a.Avg != 0)
		}
	}
	return nil
}

// fakeActivate applies kernels/graph.cuh's activation code to o in place with cpu.ActivateLayer
// (the code's op kind from gpu's actCodes; none for ACT_NONE).
func fakeActivate(code int, lo, hi, alpha, beta float32, o []float32) {
	if code == int(kernels.ActNone) {
		return
	}
	for kind, c := range actCodes {
		if int(c) == code {
			cpu.ActivateLayer(kind, &model.Layer{Lo: lo, Hi: hi, Alpha: alpha, Beta: beta}, o, o)
			return
		}
	}
	panic(fmt.Sprintf("activation code %d is no op kind's", code))
}

// arith models eltwise.cu's arith with cpu.Arith, plane by plane (per element, pixel-major:
// value by value).
func (f *fakeDevice) arith(K int, a arithArgs) {
	in, vec, out := view[float32](f, a.In), view[float32](f, a.Vec), view[float32](f, a.Out)
	index := view[int32](f, a.Index) // ArithVecGathered's table
	inSet, wSet, B, C, HW := int(a.InSetStride), int(a.WSetStride), int(a.B), int(a.C), int(a.HW)
	op := map[kernels.ArithOp]byte{kernels.ArithOpAdd: '+', kernels.ArithOpSub: '-', kernels.ArithOpMul: '*', kernels.ArithOpDiv: '/'}[kernels.ArithOp(a.Op)]
	for k := range K {
		for b := range B {
			for c := range C {
				v := vec[k*wSet]
				mode := kernels.ArithVec(a.VecMode)
				if mode == kernels.ArithVecChannel {
					v = vec[k*wSet+c]
				}
				o, x := out[((k*B+b)*C+c)*HW:][:HW], in[k*inSet+(b*C+c)*HW:][:HW]
				if mode == kernels.ArithVecOne || mode == kernels.ArithVecChannel {
					cpu.Arith(o, x, op, v, a.Rev != 0)
					continue
				}
				for p := range HW {
					e := p*C + c // pixel-major
					if mode == kernels.ArithVecGathered {
						e = int(index[e]) // through the index table
					}
					cpu.Arith(o[p:p+1], x[p:p+1], op, vec[k*wSet+e], a.Rev != 0)
				}
			}
		}
	}
}

// layerNorm models layernorm.cu with cpu.LayerNormChannels, image by image.
func (f *fakeDevice) layerNorm(K int, a layernormChannelsArgs) {
	in, gamma, beta, out := view[float32](f, a.In), view[float32](f, a.Gamma), view[float32](f, a.Beta), view[float32](f, a.Out)
	inSet, wSet, B, C, HW := int(a.InSetStride), int(a.WSetStride), int(a.B), int(a.C), int(a.HW)
	for k := range K {
		for b := range B {
			cpu.LayerNormChannels(out[(k*B+b)*C*HW:], in[k*inSet+b*C*HW:], C, HW, HW, HW,
				gamma[k*wSet:][:C], beta[k*wSet:][:C], a.Eps)
		}
	}
}

// convDirect models conv_direct: Out = act(relu?(b' + Σ r(W')·r(In) + Res)), the sum in float64
// of the operands rounded as the precision says (rounded once per weight set and image).
func (f *fakeDevice) convDirect(K int, a convDirectArgs) error {
	in, w, bias := view[float32](f, a.In), view[float32](f, a.Weights), view[float32](f, a.Bias)
	res, out := view[float32](f, a.Res), view[float32](f, a.Out)
	inSet, wSet := int(a.InSetStride), int(a.WSetStride)
	B, cin, h, wd, cout, oh, ow := int(a.B), int(a.Cin), int(a.H), int(a.W), int(a.Cout), int(a.OH), int(a.OW)
	g := int(a.G)
	rnd := roundTo([...]string{"f32", "tf32", "bf16"}[a.Prec])
	if g < 1 || cin%g != 0 || cout%g != 0 {
		return fmt.Errorf("conv_direct: %d groups for %d → %d channels", g, cin, cout)
	}
	d := directModel{a: a, cg: cin / g, og: cout / g}
	set, nw := B*cout*oh*ow, cout*d.cg*int(a.KH)*int(a.KW)
	wk, x, sums := make([]float64, nw), make([]float64, cin*h*wd), make([]float32, cout*oh*ow)
	for k := range K {
		for i := range wk {
			wk[i] = float64(rnd(w[k*wSet+i]))
		}
		for b := range B {
			for i := range x {
				x[i] = float64(rnd(in[k*inSet+b*cin*h*wd+i]))
			}
			parallelFor(cout, func(lo, hi int) { d.channels(sums, x, wk, bias[k*wSet:][:cout], lo, hi) })
			o := out[k*set+b*cout*oh*ow:][:cout*oh*ow]
			for i, v := range sums { // the residual read before the output is written: they may alias
				if res != nil {
					v += res[k*set+b*cout*oh*ow+i]
				}
				o[i] = v
			}
		}
		if a.Relu != 0 {
			for i, v := range out[k*set:][:set] {
				if v < 0 {
					out[k*set+i] = 0
				}
			}
		}
		fakeActivate(int(a.Act), a.Lo, a.Hi, a.Alpha, a.Beta, out[k*set:][:set])
	}
	return nil
}

// directModel is one image of conv_direct: cg input channels per group, og output channels.
type directModel struct {
	a      convDirectArgs
	cg, og int
}

// channels sets o[m] to b'[m] + Σ wk·x over output channels [lo, hi), float64 sums in the
// order input channel, kernel row, kernel column.
func (d directModel) channels(o []float32, x, wk []float64, bias []float32, lo, hi int) {
	a := d.a
	h, wd, oh, ow := int(a.H), int(a.W), int(a.OH), int(a.OW)
	kh, kw, sh, sw, dh, dw, pt, pl := int(a.KH), int(a.KW), int(a.SH), int(a.SW), int(a.DH), int(a.DW), int(a.PadT), int(a.PadL)
	for m := lo; m < hi; m++ {
		for y := range oh {
			for xo := range ow {
				s := float64(bias[m])
				for ci := range d.cg {
					plane := x[(m/d.og*d.cg+ci)*h*wd:][:h*wd]
					wm := wk[(m*d.cg+ci)*kh*kw:][:kh*kw]
					for i := range kh {
						iy := y*sh - pt + i*dh
						if iy < 0 || iy >= h {
							continue
						}
						for j := range kw {
							if ix := xo*sw - pl + j*dw; ix >= 0 && ix < wd {
								s += wm[i*kw+j] * plane[iy*wd+ix]
							}
						}
					}
				}
				o[(m*oh+y)*ow+xo] = float32(s)
			}
		}
	}
}
