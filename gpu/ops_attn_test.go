package gpu

import (
	"fmt"
	"math"

	"landscape/cpu"
)

// The op table's rows of vision transformers' kernels (attn.cu, bmm.cu): softmax_heads against
// cpu.SoftmaxChannels (the same float32 max, double exponentials and sum), cat_tokens and
// gather_pixels (copies: exact), and the products of two activations against cpu.MatMulHeads
// (fp32 GEMM), in tf32 and bf16 on operands rounded beforehand as the tensor cores round them
// (only the order of the float32 sums differs), each over extK weight sets of extB images.

// attnRows returns those rows.
func attnRows() []opRow {
	rows := []opRow{{name: "softmax_heads 3 heads x 8", tol: 1e-7, run: runSoftmax},
		{name: "cat_tokens 2 tokens", run: runCatTokens}, {name: "gather_pixels", run: runGatherPixels}}
	for _, prec := range []string{"f32", "tf32", "bf16"} {
		for _, s := range bmmShapes {
			rows = append(rows, opRow{name: fmt.Sprintf("matmul_heads %s %d heads N %d M %d Kd %d trans %t windows %d", prec, s.heads, s.n, s.m, s.kd, s.trans, max(s.w, 1)),
				tol: 1e-5, run: func(be backend) (float64, error) { return runBmm(be, prec, s) }})
		}
	}
	return rows
}

// bmmShape is one product's sizes: Out_g (N×M) = op(P_g)·A_g, A_g Kd×M, per window of w (0: one).
type bmmShape struct {
	heads, m, n, kd int
	trans           bool
	w               int
}

// bmmShapes: a small ViT's Q·Kᵀ and A·V (17 tokens, head width 16), ViT-B/16's (197 tokens,
// 64 wide), sizes no multiple of the MMA tiles, and swin_t's first stage at 64×64 (9 windows
// of 7×7 tokens, 3 heads of 32).
var bmmShapes = []bmmShape{{2, 17, 17, 16, true, 0}, {2, 17, 16, 17, false, 0}, {12, 197, 197, 64, true, 0},
	{12, 197, 64, 197, false, 0}, {3, 9, 5, 7, true, 0}, {1, 40, 33, 20, false, 0},
	{3, 49, 49, 32, true, 9}, {3, 49, 32, 49, false, 9}, {1, 70, 20, 18, false, 2}}

func runSoftmax(be backend) (float64, error) {
	const heads, c = 3, 24
	const n = extB * c * extHW
	in := randSlice(extK*n, 4, 31)
	in[5] += 500 // exp overflows without the max
	got, err := runExt(be, in, nil, n, func(in, _, out ptr) error {
		return launchSoftmaxHeads(be, kSoftmaxHeads, dim{2, 1, extK}, dim{32, 1, 1}, softmaxHeadsArgs{In: in, InSetStride: n,
			Out: out, B: extB, C: c, HW: extHW, Heads: heads})
	})
	if err != nil {
		return 0, err
	}
	want := make([]float32, extK*n)
	for kb := range extK * extB {
		at := kb * c * extHW
		cpu.SoftmaxChannels(want[at:], in[at:], c, heads, extHW, extHW, extHW)
	}
	return relErr(got, f64(want)), nil
}

func runCatTokens(be backend) (float64, error) {
	const kt, hw = 2, extHW + 2
	const n, wSet = extB * extC * extHW, kt*extC + 1
	in, tok := randSlice(n, 1, 32), randSlice(extK*wSet, 1, 33)
	got, err := runExt(be, in, tok, extB*extC*hw, func(in, vec, out ptr) error {
		return launchCatTokens(be, kCatTokens, dim{3, 1, extK}, dim{64, 1, 1}, catTokensArgs{In: in, Tok: vec, WSetStride: wSet,
			Out: out, B: extB, C: extC, HWin: extHW, Kt: kt})
	})
	if err != nil {
		return 0, err
	}
	var want []float32
	for k := range extK {
		for bc := range extB * extC {
			for p := range kt {
				want = append(want, tok[k*wSet+p*extC+bc%extC])
			}
			want = append(want, in[bc*extHW:][:extHW]...)
		}
	}
	return relErr(got, f64(want)), nil
}

func runGatherPixels(be backend) (float64, error) {
	perm := []int32{0, extHW - 1, -1, 3, 0, -1} // −1: a zero (Swin's padding)
	const n = extB * extC * extHW
	in := randSlice(extK*n, 1, 34)
	dPerm, err := upload(be, perm)
	if err != nil {
		return 0, err
	}
	got, err := runExt(be, in, nil, extB*extC*len(perm), func(in, _, out ptr) error {
		return launchGatherPixels(be, kGatherPixels, dim{2, 1, extK}, dim{32, 1, 1}, gatherPixelsArgs{In: in, InSetStride: n,
			Perm: dPerm, Out: out, B: extB, C: extC, HWin: extHW, HWout: cint(len(perm))})
	})
	if err != nil {
		return 0, err
	}
	var want []float32
	for kbc := range extK * extB * extC {
		for _, p := range perm {
			if p < 0 {
				want = append(want, 0)
			} else {
				want = append(want, in[kbc*extHW+int(p)])
			}
		}
	}
	return relErr(got, f64(want)), nil
}

// runBmm runs the product kernel of precision prec on shape s against cpu.MatMulHeads on the
// operands rounded as the kernel rounds them.
func runBmm(be backend, prec string, s bmmShape) (float64, error) {
	const b = 2
	w := max(s.w, 1)
	aSet, pSet, oSet := b*s.heads*s.kd*s.m*w, b*s.heads*s.n*s.kd*w, b*s.heads*s.n*s.m*w
	a, pv := randSlice(extK*aSet, 1, 35), randSlice(extK*pSet, 1, 36)
	dP, err := upload(be, pv)
	if err != nil {
		return 0, err
	}
	args := bmmArgs{ASetStride: cint64(aSet), P: dP, PSetStride: cint64(pSet), B: b, Heads: cint(s.heads), M: cint(s.m),
		N: cint(s.n), Kd: cint(s.kd), Trans: cint(b2i(s.trans)), Windows: cint(w)}
	got, err := runExt(be, a, nil, oSet, func(in, _, out ptr) error {
		args.A, args.Out = in, out
		if prec == "f32" {
			return launchBmm(be, kMatmulHeads, dim{blocks(oSet, 128), 1, extK}, dim{128, 1, 1}, args)
		}
		k := map[string]bmmKernel{"tf32": kMatmulHeadsTf32, "bf16": kMatmulHeadsBf16}[prec]
		return launchBmm(be, k, dim{BmmBlocks(b*w, s.heads, s.m, s.n), 1, extK}, dim{128, 1, 1}, args)
	})
	if err != nil {
		return 0, err
	}
	rnd := roundTo(prec)
	for i := range a {
		a[i] = rnd(a[i])
	}
	for i := range pv {
		pv[i] = rnd(pv[i])
	}
	hwB := s.kd * w // In2's pixels
	if s.trans {
		hwB = s.n * w
	}
	mw := s.m * w
	want := make([]float32, extK*oSet)
	for k := range extK {
		for img := range b {
			o := k*oSet + img*s.heads*s.n*mw
			cpu.MatMulHeads(want[o:], a[k*aSet+img*s.heads*s.kd*mw:], pv[k*pSet+img*s.heads*s.n*s.kd*w:], s.heads, mw, s.n, s.kd,
				s.trans, hwB, mw, hwB, mw, 1, w)
		}
	}
	if math.IsNaN(relErr(got, f64(want))) {
		return 0, fmt.Errorf("matmul_heads %s: NaN in the output", prec)
	}
	return relErr(got, f64(want)), nil
}
