package cpu

import (
	"os"

	"landscape/cpu/gemm"
	"landscape/model"
)

// Winograd's minimal filtering F(4×4, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional
// Neural Networks", 2016) for the 3×3, stride-1, "same" convolutions (convShift steps with K = 3,
// Pad = 1): the bulk of a CIFAR ResNet's work. Each output tile of 4×4 pixels of one image is
//
//	Y = Aᵀ [ Σ_ci (G g_{co,ci} Gᵀ) ⊙ (Bᵀ d_ci B) ] A
//
// with d_ci the 6×6 input patch of channel ci around it (zero outside the image) and g the 3×3
// filter. The sum over ci is, for each of the 36 positions ξ of the 6×6 transformed tile, one
// matrix product U_ξ (Cout×Cin) · V_ξ (Cin×tiles) (winoProduct): 36 products of Cin
// multiply-adds per 16 outputs instead of 9·16, a quarter of the direct convolution's, for
// transforms that cost O(Cin + Cout) per tile. It pays where the products are slow (the portable
// Go kernel: about one scalar multiply-add a cycle), and with AVX-512 (winograd_vec.go: the
// products through gemm.Sgemm, vector transforms) on layers with enough channels and pixels
// (winoVecPays); the AVX2 and NEON kernels do not use it (Options.Winograd).
//
// Numerics: the points 0, ±1, ±2 of F(4×4, 3×3) scale the input by up to 5·5 and the output
// transform sums with weights up to 8·8, so float32 results differ from the direct sum by a few
// units in the 6th significant digit of a layer's largest output (TestWinogradAccuracy
// measures it: 5e-6, the direct float32 sum 7e-7; bench/RESULTS.md has the losses of whole
// networks, within 6e-7). F(2×2, 3×3), with points 0 and ±1 only, loses less but saves 2.25× of
// the products against 4×, too little for the portable engine's 3× goal.
const (
	winoM     = 4         // output tile side
	winoAlpha = winoM + 2 // input tile side
	winoXi    = winoAlpha * winoAlpha
)

// WinogradUse says when an engine computes 3×3 stride-1 convolutions by Winograd's algorithm.
type WinogradUse int

const (
	WinogradAuto WinogradUse = iota // on the portable Go kernel; with AVX-512 where winoVecPays
	WinogradOff                     // never: every convolution as one direct product
	WinogradOn                      // wherever the layer allows it, whatever the kernel
)

// winogradFits reports whether a step can be computed by F(4×4, 3×3): a dense 3×3 convolution of
// stride 1 with padding 1 (convShift keeps the size of its input).
func (st *step) winogradFits() bool { return st.kind == convShift && winoLayer(&st.l) }

// winoLayer reports whether layer l is a dense 3×3 convolution of stride 1 with padding 1 (the
// layer rule of winogradFits and planWinograd).
func winoLayer(l *model.Layer) bool {
	return l.K == 3 && l.Pad == 1 && l.Stride == 1 && l.Win.KH == 0 && l.Groups <= 1
}

// winoGeom is the tiling of one image: th × tw tiles of winoM × winoM output pixels (the last
// row and column of tiles cut at the image's edge).
type winoGeom struct {
	h, w, th, tw int
}

func winoGeomOf(l *model.Layer) winoGeom {
	h, w := l.InShape[1], l.InShape[2]
	return winoGeom{h: h, w: w, th: (h + winoM - 1) / winoM, tw: (w + winoM - 1) / winoM}
}

// tiles is the number of tiles of one image.
func (g winoGeom) tiles() int { return g.th * g.tw }

// winoIn is the 1-D input transform Bᵀ x of F(4, 3).
func winoIn(x0, x1, x2, x3, x4, x5 float32) (y0, y1, y2, y3, y4, y5 float32) {
	y0 = 4*x0 - 5*x2 + x4
	y1 = x4 + x3 - 4*(x1+x2)
	y2 = x4 - x3 + 4*(x1-x2)
	y3 = x4 - x2 + 2*(x3-x1)
	y4 = x4 - x2 - 2*(x3-x1)
	y5 = 4*x1 - 5*x3 + x5
	return
}

// winoOut is the 1-D output transform Aᵀ x of F(4, 3).
func winoOut(x0, x1, x2, x3, x4, x5 float32) (y0, y1, y2, y3 float32) {
	s12, d12 := x1+x2, x1-x2
	s34, d34 := x3+x4, x3-x4
	y0 = x0 + s12 + s34
	y1 = d12 + 2*d34
	y2 = s12 + 4*s34
	y3 = d12 + 8*d34 + x5
	return
}

// winoFilt is the 1-D filter transform G g of F(4, 3), in float64 (it runs once per weight set).
func winoFilt(g0, g1, g2 float64) [winoAlpha]float64 {
	return [winoAlpha]float64{
		g0 / 4,
		-(g0 + g1 + g2) / 6,
		-(g0 - g1 + g2) / 6,
		g0/24 + g1/12 + g2/6,
		g0/24 - g1/12 + g2/6,
		g2,
	}
}

// winoFilters writes the transformed filters of a cout × cin 3×3 convolution whose weights are
// w (row co at co·ldw, tap (ci, kh, kw) at ci·9 + kh·3 + kw): u[(ξ·cout + co)·cin + ci] =
// (G g Gᵀ)_ξ. On the AVX-512 path (winoVec) it computes them in float32 (winoFiltersAsm:
// within a few float32 steps of the largest |(G g Gᵀ)_ξ| of each filter, TestWinoFiltersAsm);
// elsewhere, LANDSCAPE_CPU_KERNELS=portable included, in float64 (winoFilters64), as a CPU
// without AVX-512 does.
func winoFilters(u, w []float32, ldw, cout, cin int) {
	if !winoVec() || !winoFiltersAsm(u, w, ldw, cout, cin) {
		winoFilters64(u, w, ldw, cout, cin)
	}
}

// winoFilters64 is winoFilters in float64, each value rounded to float32 once: the portable
// path and the reference. Each output channel's 36 rows are made in row, then copied out whole
// (written in place, 36 strided stores a filter, it ran 2–3 times slower on resnet18's
// 512-channel layers, whose u is 36 MiB).
func winoFilters64(u, w []float32, ldw, cout, cin int) {
	row := make([]float32, winoXi*cin)
	for co := range cout {
		for ci := range cin {
			g := w[co*ldw+ci*9:][:9]
			var t [3][winoAlpha]float64 // G g, column kw of g in t[kw]
			for kw := range 3 {
				t[kw] = winoFilt(float64(g[kw]), float64(g[3+kw]), float64(g[6+kw]))
			}
			for i := range winoAlpha {
				r := winoFilt(t[0][i], t[1][i], t[2][i]) // row i of (G g) Gᵀ
				for j, v := range r {
					row[(i*winoAlpha+j)*cin+ci] = float32(v)
				}
			}
		}
		for xi := range winoXi {
			copy(u[(xi*cout+co)*cin:][:cin], row[xi*cin:][:cin])
		}
	}
}

// winoScratch holds a Winograd step's transformed inputs and products for one chunk of tiles,
// and on the vector path the strips of input and output rows (winograd_vec.go).
type winoScratch struct {
	v, m, strip []float32
	edges       []uint64 // winoInAVX512's masks, by group of 16 tiles
	// vec: planned for the vector path (winoVec when New ran; a later gemm.SetImpl changes the
	// products' kernel, not the scratch's layout)
	vec bool
}

// winoChunk is the number of tiles transformed, multiplied and transformed back at a time: as
// many as keep the chunk's inputs and products (36·(cin + cout) floats a tile) within about
// 512 KiB, a multiple of 8 (winoBC), at least 16.
func winoChunk(cin, cout int) int {
	return max(16, (128<<10)/(winoXi*(cin+cout))/8*8)
}

// WinogradEnv names the environment variable that, set to 0, turns WinogradAuto off (every
// convolution direct, as WinogradOff), for comparisons from the command line and benchmarks.
const WinogradEnv = "LANDSCAPE_CPU_WINOGRAD"

// winograd reports whether engines with options o use Winograd's algorithm where it fits (and,
// for WinogradAuto on the vector path, where winoVecPays says it is faster).
func (o Options) winograd() bool {
	switch {
	case o.BF16 || o.Winograd == WinogradOff:
		return false
	case o.Winograd == WinogradOn:
		return true
	}
	return os.Getenv(WinogradEnv) != "0" && (gemm.KernelName() == "portable" || winoVec())
}

// planWinograd marks the steps computed by Winograd's algorithm under o (none in bfloat16) and
// makes their scratch.
func (e *Engine) planWinograd(o Options) {
	if !o.winograd() {
		return
	}
	vec := winoVec()
	e.wino.vec = vec
	size, strip, groups := 0, 0, 0
	for i := range e.steps {
		st := &e.steps[i]
		if !st.winogradFits() {
			continue
		}
		cin, cout, g := st.l.InShape[0], st.l.Cout(), winoGeomOf(&st.l)
		if vec && o.Winograd == WinogradAuto && !winoVecPays(cin, cout, g) {
			continue
		}
		st.wino = true
		nt := min(winoChunk(cin, cout), e.bmax*g.tiles())
		if vec {
			nt = min(winoVecRows(cin, cout, g.tw), e.bmax*g.th) * g.tw
			strip = max(strip, winoStripSize(nt))
			groups = max(groups, (nt+15)/16)
		}
		size = max(size, winoXi*max(cin, cout)*winoLd(nt))
	}
	e.wino.v = make([]float32, size)
	e.wino.m = make([]float32, size)
	e.wino.strip = make([]float32, strip)
	e.wino.edges = make([]uint64, groups)
}

// winoWeights transforms the folded weights w of Winograd step st into u (made if nil).
func winoWeights(st *step, u, w []float32) []float32 {
	cin, cout := st.l.InShape[0], st.l.Cout()
	if u == nil {
		u = make([]float32, winoXi*cout*cin)
	}
	winoFilters(u, w, st.k, cout, cin)
	return u
}

// winograd computes Winograd step st on nb images: u its transformed weights, b its bias, res
// its residual (or nil), rows of in and out (and res) ldIn and ldOut apart. Rows from Cout to
// the step's padded m are zeroed, as the direct product's zero weights would leave them.
func (e *Engine) winograd(st *step, u, b, in, out, res []float32, ldIn, ldOut, nb int) {
	if e.wino.vec {
		e.winogradVec(st, u, b, in, out, res, ldIn, ldOut, nb)
		e.winoZeroRows(st, out, ldOut, nb)
		return
	}
	l := &st.l
	cin, cout, g := l.InShape[0], l.Cout(), winoGeomOf(l)
	total := nb * g.tiles()
	chunk := winoChunk(cin, cout)
	for t0 := 0; t0 < total; t0 += chunk {
		nt := min(chunk, total-t0)
		v, m := e.wino.v[:winoXi*cin*nt], e.wino.m[:winoXi*cout*nt]
		winoInputs(v, in, ldIn, cin, g, t0, nt)
		e.winoProducts(m, u, v, cout, cin, nt)
		winoOutputs(out, m, ldOut, cout, g, t0, nt)
	}
	n := nb * st.outHW
	for c := range cout {
		var r []float32
		if res != nil {
			r = res[c*ldOut:][:n]
		}
		winoEpilogue(out[c*ldOut:][:n], b[c], r, l.ReLU)
	}
	e.winoZeroRows(st, out, ldOut, nb)
}

// winoZeroRows zeroes the rows of out from Cout to the step's padded m.
func (e *Engine) winoZeroRows(st *step, out []float32, ldOut, nb int) {
	for c := st.l.Cout(); c < st.m; c++ {
		clear(out[c*ldOut:][:nb*st.outHW])
	}
}
