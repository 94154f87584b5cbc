package cpu

import (
	"landscape/cpu/gemm"
	"landscape/model"
)

// The vector path of Winograd's F(4×4, 3×3), where the gemm kernels are AVX-512's: the 36
// products through gemm.Sgemm (winoProducts) and both transforms in AVX-512 assembly
// (winograd_avx512_amd64.s), 16 tiles at a time, one per lane.
//
// A chunk is a run of whole tile rows of the batch (row r = b·th + ty), its tiles numbered row
// after row (nt = rows·tw), its transformed inputs and products stored winoLd(nt) columns apart
// so that the products run on whole micro-panels (the columns past nt are never read). The
// input transform reads a strip: six rows, each holding the chunk's tile rows one after the
// other, 4·tw columns each (the input's columns 0 … w−1, then zeros), with columns −1 and 4·tw
// of each tile row masked to zero in the assembly; so 16 consecutive tiles fill the 16 lanes
// whatever the image's width. The output transform writes
// a strip of four rows alike, which winoStoreAVX512 adds to the bias and residual (ReLU after)
// as it copies it into the output, as gemm.Fused's epilogue does.

// winoVec reports whether Winograd steps run on the vector path in this process.
func winoVec() bool { return hasWinoAsm && gemm.KernelName() == "avx512" }

// winoStripOff is the offset of a strip row's first column: the assembly reads the 16 floats
// before each group of 16 tiles, and the 16 after it.
const winoStripOff = 16

// winoLd is the row length of a chunk's transformed inputs and products: nt rounded up to 16.
func winoLd(nt int) int { return roundUp(nt, 16) }

// winoStripLd is the length of a strip row for nt tiles (groups of 16 tiles of 4 columns).
func winoStripLd(nt int) int { return winoStripOff + 64*((nt+15)/16) + 16 }

// winoVecRows is the number of tile rows of a chunk: as many as keep its transformed inputs and
// products (36·(cin + cout) floats a tile) within about 1 MiB, and at least 96 tiles (fewer
// would read the transformed weights, 36·cin·cout floats, for too few columns), at least one.
func winoVecRows(cin, cout, tw int) int {
	return max(1, (1<<18)/(winoXi*(cin+cout)*tw), (96+tw-1)/tw)
}

// winoStripSize is the size of the strips of a chunk of nt tiles: six input rows, then four
// output rows.
func winoStripSize(nt int) int { return (winoAlpha + winoM) * winoStripLd(nt) }

// winogradVec computes Winograd step st on nb images on the vector path (see winograd).
func (e *Engine) winogradVec(st *step, u, b, in, out, res []float32, ldIn, ldOut, nb int) {
	l := &st.l
	cin, cout, g := l.InShape[0], l.Cout(), winoGeomOf(l)
	total := nb * g.th
	rows := winoVecRows(cin, cout, g.tw)
	for r0 := 0; r0 < total; r0 += rows {
		r1 := min(total, r0+rows)
		nt := (r1 - r0) * g.tw
		v, m := e.wino.v[:winoXi*cin*winoLd(nt)], e.wino.m[:winoXi*cout*winoLd(nt)]
		strip := e.wino.strip[:winoStripSize(nt)]
		winoInputsVec(v, strip, in, e.wino.edges[:(nt+15)/16], ldIn, cin, g, r0, r1)
		e.winoProducts(m, u, v, cout, cin, winoLd(nt))
		winoOutputsVec(out, strip, m, res, b, ldOut, cout, g, r0, r1, l.ReLU)
	}
}

// winoEdges returns winoInAVX512's edge mask for the 16 tiles from tile t of a chunk: bit j set
// unless tile t+j is the first of its tile row, bit 16+j unless it is the last.
func winoEdges(t, tw int) uint64 {
	var edge uint64
	for j := range 16 {
		tx := (t + j) % tw
		if tx != 0 {
			edge |= 1 << j
		}
		if tx != tw-1 {
			edge |= 1 << (16 + j)
		}
	}
	return edge
}

// winoInputsVec writes the transformed inputs of tile rows r0 … r1−1 of the batch into v, as
// winoInputs does for their tiles but with rows winoLd(nt) apart, through strip; edges holds a
// mask per group of 16 tiles.
func winoInputsVec(v, strip, in []float32, edges []uint64, ldIn, cin int, g winoGeom, r0, r1 int) {
	hw, nt := g.h*g.w, (r1-r0)*g.tw
	ld, seg, ldv := winoStripLd(nt), winoM*g.tw, winoLd(nt)
	sxi := 4 * cin * ldv
	for t := 0; t < nt; t += 16 {
		edges[t/16] = winoEdges(t, g.tw)
	}
	for ci := range cin {
		for r := r0; r < r1; r++ {
			b, ty := r/g.th, r%g.th
			plane := in[ci*ldIn+b*hw:][:hw]
			for i := range winoAlpha {
				row := strip[i*ld+winoStripOff+(r-r0)*seg:][:seg]
				if y := winoM*ty - 1 + i; y >= 0 && y < g.h {
					copy(row, plane[y*g.w:][:g.w])
					clear(row[g.w:])
				} else {
					clear(row)
				}
			}
		}
		for t := 0; t < nt; t += 16 {
			winoInAVX512(&v[ci*ldv+t], sxi, &strip[winoStripOff+winoM*t], 4*ld, min(16, nt-t), edges[t/16])
		}
	}
}

// winoOutputsVec transforms the products m (rows winoLd(nt) apart) of tile rows r0 … r1−1 back
// through strip and stores them into out as ReLU?(y + (bias + res)) (res nil: bias alone), as
// winoOutputs and winoEpilogue do.
func winoOutputsVec(out, strip, m, res, bias []float32, ldOut, cout int, g winoGeom, r0, r1 int, relu bool) {
	hw, nt := g.h*g.w, (r1-r0)*g.tw
	ld, seg, ldm := winoStripLd(nt), winoM*g.tw, winoLd(nt)
	os := strip[winoAlpha*ld:][:winoM*ld]
	sxi := 4 * cout * ldm
	for co := range cout {
		for t := 0; t < nt; t += 16 {
			winoOutAVX512(&os[winoM*t], 4*ld, &m[co*ldm+t], sxi)
		}
		for r := r0; r < r1; r++ {
			b, ty := r/g.th, r%g.th
			for i := range min(winoM, g.h-winoM*ty) {
				o := co*ldOut + b*hw + (winoM*ty+i)*g.w
				dst := out[o:][:g.w]
				var rp *float32
				if res != nil {
					rp = &res[o:][:g.w][0]
				}
				winoStoreAVX512(&dst[0], &os[i*ld+(r-r0)*seg:][:g.w][0], rp, g.w, bias[co], relu)
			}
		}
	}
}

// winoVecPays reports whether a Winograd step of cin → cout channels on images of geometry g
// runs faster on the vector path than the direct product (WinogradAuto): at least 64 channels
// in and out, on images of at least 14×14 pixels unless cin ≥ 256. Measured one step at a time
// (BenchmarkWinogradLayers, one core, Winograd's CPU time over the direct product's; RESULTS.md):
// 2.3–2.5 for 3 → 16 channels at 32×32, 1.1–1.2 for 16 → 16, 0.9–0.96 for 32 → 32 at 16×16,
// 0.74–0.8 for 64 → 64 at 8×8; resnet18's 64…512 channels at 56…7 pixels 0.52–0.71 (batch 8).
// The transforms cost per channel and tile what the products cost per channel pair, so few
// channels do not pay; and within whole networks (BenchmarkCPUWinograd) resnet20 and resnet56
// ran 0.93–0.99× as fast with their 32- and 64-channel layers by Winograd (their transformed
// weights, 4× the direct ones, no longer stay in L2 from one batch to the next), while resnet18
// ran 1.26–1.38× as fast with its 7×7 layers and 1.26–1.30× without them (batch 4).
func winoVecPays(cin, cout int, g winoGeom) bool {
	return cin >= 64 && cout >= 64 && (g.h*g.w >= 14*14 || cin >= 256)
}

// winoVecBatch is the default batch of an engine with options o on plan: DefaultBatch, raised to
// winoVecMinBatch where o computes a layer on the vector path. Its transformed weights are 4×
// the direct ones (151 MB for resnet18's thirteen layers), read from memory once per batch: on
// resnet18 at 224×224 (BenchmarkCPUWinograd, one core, CPU time, load 100) batches of 8 ran at
// 42.5 and 42.4 images a second against 38.8 and 36.2 with DefaultBatch's 4, while the direct
// engine ran the same at 4, 8 and 16.
func winoVecBatch(plan *model.Plan, o Options) int {
	batch := DefaultBatch(plan)
	if !o.winograd() || !winoVec() || batch >= winoVecMinBatch {
		return batch
	}
	if planWinograd(plan, o) {
		return winoVecMinBatch
	}
	return batch
}

// planWinograd reports whether an engine with options o computes any layer of plan by
// Winograd's algorithm (Engine.planWinograd's rule, on the layers before they become steps).
func planWinograd(plan *model.Plan, o Options) bool {
	if !o.winograd() {
		return false
	}
	vec := winoVec()
	for i := range plan.Layers {
		l := &plan.Layers[i]
		shift := l.Kind == model.OpConv && winoLayer(l) && l.OutShape[1] == l.InShape[1] && l.OutShape[2] == l.InShape[2]
		if shift && (!vec || o.Winograd == WinogradOn || winoVecPays(l.InShape[0], l.Cout(), winoGeomOf(l))) {
			return true
		}
	}
	return false
}

const winoVecMinBatch = 8
