package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"landscape/model"
)

// dwCase is a depthwise layer to test: window side k, stride s, padding (top, left, bottom,
// right), input h×w, and its epilogue.
type dwCase struct {
	k, s, h, w int
	pad        [4]int
	relu, res  bool
	act        model.OpKind // with hasAct
	hasAct     bool
}

func (c dwCase) layer(ch int) model.Layer {
	win := model.Window{KH: c.k, KW: c.k, SH: c.s, SW: c.s, DH: 1, DW: 1, PadT: c.pad[0], PadL: c.pad[1], PadB: c.pad[2], PadR: c.pad[3]}
	oh, ow := win.OutSize(c.h, c.w)
	return model.Layer{Kind: model.OpConv, Win: win, Groups: ch, Residual: -1, ReLU: c.relu, HasAct: c.hasAct, Act: c.act,
		Lo: 0, Hi: 6, InShape: [3]int{ch, c.h, c.w}, OutShape: [3]int{ch, oh, ow}}
}

// dwReference computes the layer as the engine did before the direct kernel: GroupConv per
// image, then addReLU and ActivateLayer per row.
func dwReference(l *model.Layer, out, in, w, b, res []float32, ldIn, ldOut, nb int) {
	inHW, outHW := l.InShape[1]*l.InShape[2], l.OutShape[1]*l.OutShape[2]
	for img := range nb {
		GroupConv(out[img*outHW:], in[img*inHW:], w, b, l.InShape, l.OutShape, l.Window(), l.Groups, ldIn, ldOut)
	}
	n := nb * outHW
	for c := range l.Cout() {
		row := out[c*ldOut:][:n]
		var r []float32
		if res != nil {
			r = res[c*ldOut:][:n]
		}
		addReLU(row, r, l.ReLU)
		if l.HasAct {
			ActivateLayer(l.Act, l, row, row)
		}
	}
}

// TestDepthwiseMatchesGroupConv checks the direct depthwise kernel (AVX-512 where the CPU has
// it, and its Go twin) against GroupConv, the reference, on 3×3 and 5×5 windows with stride 1
// and 2, symmetric and asymmetric padding, odd and even sizes, one and three images, and every
// epilogue (ReLU, ReLU6 fused in the store; SiLU, HardSwish after it; a residual): the Go twin
// bit for bit (the same roundings in the same order) where the activation is exact, the fused
// multiply-adds within 4e−6 of the sum of the terms' magnitudes. Nothing outside the output
// rows' valid floats is written.
func TestDepthwiseMatchesGroupConv(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	cases := []dwCase{
		{k: 3, s: 1, h: 9, w: 9, pad: [4]int{1, 1, 1, 1}, hasAct: true, act: model.OpClip},
		{k: 3, s: 1, h: 7, w: 12, pad: [4]int{1, 1, 1, 1}, relu: true},
		{k: 3, s: 2, h: 14, w: 14, pad: [4]int{1, 1, 1, 1}, hasAct: true, act: model.OpClip},
		{k: 3, s: 2, h: 15, w: 11, pad: [4]int{0, 0, 1, 1}, hasAct: true, act: model.OpSiLU},
		{k: 5, s: 1, h: 7, w: 7, pad: [4]int{2, 2, 2, 2}, hasAct: true, act: model.OpHardSwish},
		{k: 5, s: 2, h: 14, w: 14, pad: [4]int{2, 2, 2, 2}, hasAct: true, act: model.OpSiLU},
		{k: 5, s: 2, h: 40, w: 38, pad: [4]int{1, 2, 2, 1}},
		{k: 3, s: 1, h: 20, w: 33, pad: [4]int{1, 1, 1, 1}, res: true, relu: true},
		{k: 3, s: 1, h: 5, w: 5, pad: [4]int{0, 0, 0, 0}, res: true, hasAct: true, act: model.OpClip},
	}
	for _, c := range cases {
		for _, nb := range []int{1, 3} {
			for _, asm := range []bool{true, false} {
				name := fmt.Sprintf("k%d_s%d_%dx%d_pad%v_b%d_asm%v", c.k, c.s, c.h, c.w, c.pad, nb, asm)
				t.Run(name, func(t *testing.T) { testDepthwise(t, rng, c, nb, asm) })
			}
		}
	}
}

func testDepthwise(t *testing.T, rng *rand.Rand, c dwCase, nb int, asm bool) {
	saved, saved2 := hasDWAsm, hasDWAVX2
	defer func() { hasDWAsm, hasDWAVX2 = saved, saved2 }()
	hasDWAsm, hasDWAVX2 = asm && saved, asm && saved2 // asm false: the Go twin
	const ch = 3
	l := c.layer(ch)
	d := newDWConv(&l)
	if d == nil {
		t.Fatalf("no direct kernel for %+v", l.Window())
	}
	st := &step{l: l, kind: convGroup, dw: d, inHW: c.h * c.w, outHW: l.OutShape[1] * l.OutShape[2]}
	ldIn, ldOut := roundUp(nb*st.inHW, 16)+16, roundUp(nb*st.outHW, 16)+16
	rnd := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = rng.Float32()*2 - 1
		}
		return v
	}
	in, w, b := rnd(ch*ldIn), rnd(ch*c.k*c.k), rnd(ch)
	var res []float32
	if c.res {
		l.Residual = 1
		st.l.Residual = 1
		res = rnd(ch * ldOut)
	}
	abs := func(v []float32) []float32 {
		a := make([]float32, len(v))
		for i, x := range v {
			a[i] = float32(math.Abs(float64(x)))
		}
		return a
	}
	want, mag := rnd(ch*ldOut), make([]float32, ch*ldOut)
	got := append([]float32(nil), want...)
	dwReference(&l, want, in, w, b, res, ldIn, ldOut, nb)
	absIn, absW, absB := abs(in), abs(w), abs(b)
	for img := range nb { // Σ |terms| per output
		GroupConv(mag[img*st.outHW:], absIn[img*st.inHW:], absW, absB, l.InShape, l.OutShape, l.Window(), ch, ldIn, ldOut)
	}
	e := &Engine{}
	e.dw.alloc(d, nb)
	e.depthwise(st, w, b, in, got, res, ldIn, ldOut, nb)
	exact := !asm && !(c.hasAct && c.act == model.OpSiLU)
	for i := range got {
		tol := 4e-6 * float64(mag[i]+1)
		if d := math.Abs(float64(got[i] - want[i])); exact && got[i] != want[i] || d > tol {
			t.Fatalf("channel %d, float %d: %v, want %v (tolerance %g)", i/ldOut, i%ldOut, got[i], want[i], tol)
		}
	}
}

// BenchmarkDepthwiseDirect: depthwise layers of MobileNetV2 and EfficientNet-B0 at 224×224
// (one image, ReLU6), by the direct kernel (direct; asm where the CPU has AVX-512) and by
// GroupConv with the separate clamp the engine used before (groupconv).
func BenchmarkDepthwiseDirect(b *testing.B) {
	for _, s := range []struct{ c, hw, k, stride int }{{32, 112, 3, 1}, {96, 112, 3, 2}, {144, 56, 3, 1}, {192, 28, 3, 1},
		{576, 14, 3, 1}, {960, 7, 3, 1}, {240, 28, 5, 1}, {672, 14, 5, 2}} {
		c := dwCase{k: s.k, s: s.stride, h: s.hw, w: s.hw, pad: [4]int{s.k / 2, s.k / 2, s.k / 2, s.k / 2}, hasAct: true, act: model.OpClip}
		l := c.layer(s.c)
		st := &step{l: l, kind: convGroup, dw: newDWConv(&l), inHW: s.hw * s.hw, outHW: l.OutShape[1] * l.OutShape[2]}
		in, out := make([]float32, s.c*st.inHW), make([]float32, s.c*st.outHW)
		w, bias := make([]float32, s.c*s.k*s.k), make([]float32, s.c)
		flops := float64(2 * s.k * s.k * s.c * st.outHW)
		for _, direct := range []bool{true, false} {
			name := fmt.Sprintf("c%d_%dx%d_k%d_s%d/%s", s.c, s.hw, s.hw, s.k, s.stride, map[bool]string{true: "direct", false: "groupconv"}[direct])
			b.Run(name, func(b *testing.B) {
				e := &Engine{}
				e.dw.alloc(st.dw, 1)
				for b.Loop() {
					if direct {
						e.depthwise(st, w, bias, in, out, nil, st.inHW, st.outHW, 1)
					} else {
						dwReference(&l, out, in, w, bias, nil, st.inHW, st.outHW, 1)
					}
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestCopyRows checks copyRows and deinterleaveRows (AVX-512 where present, masked row tails)
// against their Go loops for widths around the vector widths: the same floats written, nothing
// else.
func TestCopyRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 15, 16, 17, 31, 32, 33, 47, 64, 113} {
		const rows, lds, ldd = 3, 130, 140
		src := make([]float32, rows*lds)
		for i := range src {
			src[i] = rng.Float32()
		}
		for _, c := range []struct {
			name      string
			fast, ref func(a, b []float32)
		}{
			{"copyRows", func(a, _ []float32) { copyRows(a, ldd, src, lds, rows, n) }, func(a, _ []float32) { copyRowsGo(a, ldd, src, lds, rows, n) }},
			{"deinterleaveRows", func(a, b []float32) { deinterleaveRows(a, b, ldd, src, lds, rows, n) },
				func(a, b []float32) { deinterleaveRowsGo(a, b, ldd, src, lds, rows, n) }},
		} {
			got, want := make([]float32, 2*rows*ldd), make([]float32, 2*rows*ldd)
			for i := range got {
				got[i], want[i] = -1, -1
			}
			c.fast(got[:rows*ldd], got[rows*ldd:])
			c.ref(want[:rows*ldd], want[rows*ldd:])
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s n=%d: float %d = %v, want %v", c.name, n, i, got[i], want[i])
				}
			}
		}
	}
}
