package gpu

import (
	"fmt"

	"landscape/cpu"
	"landscape/model"
)

// graphKernel models the kernels of imported graphs (conv_direct.cu, eltwise.cu, concat.cu,
// pool_window.cu) from the math at the top of each file; ok is false for another kernel.
func (f *fakeDevice) graphKernel(name string, grid, block dim, args []any) (ok bool, err error) {
	p := func(i int) ptr { return args[i].(ptr) }
	n := func(i int) int {
		if v, ok := args[i].(cint); ok {
			return int(v)
		}
		return int(args[i].(cint64))
	}
	fl := func(i int) float32 { return args[i].(float32) }
	fs := func(i int) []float32 { return view[float32](f, p(i)) }
	if grid.z < 1 || grid.x < 1 || block.x < 1 {
		return true, fmt.Errorf("%s: empty launch grid %+v block %+v", name, grid, block)
	}
	K := grid.z
	switch name {
	case "conv_direct":
		return true, f.convDirect(K, args)
	case "activate":
		in, out, inSet, cnt := fs(0), fs(2), n(1), n(3)
		for k := range K {
			o := out[k*cnt:][:cnt]
			copy(o, in[k*inSet:][:cnt]) // in place when the kernel runs after a GEMM-kernel layer
			cpu.Activate(actKind(n(4)), fl(5), fl(6), fl(7), o, o)
		}
	case "affine":
		in, scale, shift, out := fs(0), fs(2), fs(3), fs(5)
		inSet, wSet, B, C, HW := n(1), n(4), n(6), n(7), n(8)
		for k := range K {
			for b := range B {
				for c := range C {
					o := out[k*B*C*HW+(b*C+c)*HW:][:HW]
					cpu.Affine(o, in[k*inSet+(b*C+c)*HW:][:HW], scale[k*wSet+c], shift[k*wSet+c])
					if n(9) != 0 {
						cpu.Activate(model.OpReLU, 0, 0, 0, o, o)
					}
					cpu.Activate(actKind(n(10)), fl(11), fl(12), fl(13), o, o)
				}
			}
		}
	case "binary":
		lhs, rhs, out := fs(0), fs(2), fs(4)
		lSet, rSet, B, C, HW, op := n(1), n(3), n(5), n(6), n(7), n(8)
		cnt := B * C * HW
		for k := range K {
			for i := range cnt {
				x := lhs[k*lSet+i]
				switch op {
				case 0:
					out[k*cnt+i] = x + rhs[k*rSet+i]
				case 1:
					out[k*cnt+i] = x * rhs[k*rSet+i]
				default:
					out[k*cnt+i] = x * rhs[k*rSet+i/HW]
				}
			}
		}
	case "concat_copy":
		in, out := fs(0), fs(2)
		inSet, B, C, HW, Ct, c0 := n(1), n(3), n(4), n(5), n(6), n(7)
		for k := range K {
			for b := range B {
				copy(out[(k*B+b)*Ct*HW+c0*HW:][:C*HW], in[k*inSet+b*C*HW:][:C*HW])
			}
		}
	case "pool_window":
		in, out := fs(0), fs(2)
		inSet, B, C, H, W, OH, OW := n(1), n(3), n(4), n(5), n(6), n(7), n(8)
		win := model.Window{KH: n(9), KW: n(10), SH: n(11), SW: n(12), DH: n(13), DW: n(14),
			PadT: n(15), PadL: n(16), PadB: n(17), PadR: n(18), CountPad: n(20) != 0}
		// The kernel takes OH, OW from the host: they must be floor or ceil mode's size.
		fh, fw := win.OutSize(H, W)
		win.Ceil = true
		ch, cw := win.OutSize(H, W)
		if !(OH == fh && OW == fw) && !(OH == ch && OW == cw) {
			return true, fmt.Errorf("pool_window: output %dx%d for a %dx%d input is neither floor (%dx%d) nor ceil (%dx%d) mode", OH, OW, H, W, fh, fw, ch, cw)
		}
		win.Ceil = OH == ch && OW == cw
		for k := range K {
			for pl := range B * C {
				cpu.PoolWindow(out[k*B*C*OH*OW+pl*OH*OW:][:OH*OW], in[k*inSet+pl*H*W:][:H*W], H, W, win, n(19) != 0)
			}
		}
	default:
		return false, nil
	}
	return true, nil
}

// actKind is the op kind of kernels/graph.cuh's activation code (OpAdd, which cpu.Activate
// leaves alone as no activation, for ACT_NONE).
func actKind(code int) model.OpKind {
	return [...]model.OpKind{model.OpAdd, model.OpReLU, model.OpClip, model.OpLeakyReLU, model.OpSigmoid}[code]
}

// convDirect models conv_direct: Out = act(relu?(b' + Σ r(W')·r(In) + Res)), the sum in float64
// of the operands rounded as the precision says.
func (f *fakeDevice) convDirect(K int, args []any) error {
	a := func(i int) int {
		if v, ok := args[i].(cint); ok {
			return int(v)
		}
		return int(args[i].(cint64))
	}
	in, w, bias := view[float32](f, args[0].(ptr)), view[float32](f, args[2].(ptr)), view[float32](f, args[3].(ptr))
	res, out := view[float32](f, args[5].(ptr)), view[float32](f, args[6].(ptr))
	inSet, wSet := a(1), a(4)
	B, cin, h, wd, cout, oh, ow := a(7), a(8), a(9), a(10), a(11), a(12), a(13)
	kh, kw, sh, sw, dh, dw, pt, pl, g := a(14), a(15), a(16), a(17), a(18), a(19), a(20), a(21), a(22)
	rnd := roundTo([...]string{"f32", "tf32", "bf16"}[a(23)])
	relu, act := a(24) != 0, actKind(a(25))
	lo, hi, alpha := args[26].(float32), args[27].(float32), args[28].(float32)
	if g < 1 || cin%g != 0 || cout%g != 0 {
		return fmt.Errorf("conv_direct: %d groups for %d → %d channels", g, cin, cout)
	}
	cg, og := cin/g, cout/g
	set := B * cout * oh * ow
	for k := range K {
		for b := range B {
			for m := range cout {
				for y := range oh {
					for x := range ow {
						s := float64(bias[k*wSet+m])
						for ci := range cg {
							plane := in[k*inSet+(b*cin+m/og*cg+ci)*h*wd:][:h*wd]
							for i := range kh {
								for j := range kw {
									iy, ix := y*sh-pt+i*dh, x*sw-pl+j*dw
									if iy >= 0 && iy < h && ix >= 0 && ix < wd {
										s += float64(rnd(w[k*wSet+((m*cg+ci)*kh+i)*kw+j])) * float64(rnd(plane[iy*wd+ix]))
									}
								}
							}
						}
						o := k*set + ((b*cout+m)*oh+y)*ow + x
						v := float32(s)
						if res != nil {
							v += res[o]
						}
						if relu && v < 0 {
							v = 0
						}
						out[o] = v
						cpu.Activate(act, lo, hi, alpha, out[o:o+1], out[o:o+1])
					}
				}
			}
		}
	}
	return nil
}
