package gpu

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"testing"

	"landscape/cpu"
	"landscape/data"
	"landscape/engine"
	"landscape/kernels"
	"landscape/model"
)

// The per-op conformance table (as ggml's test-backend-ops): each row is one kernel on one
// shape with fresh random inputs, its result against the CPU engine's function for that layer,
// within a tolerance per precision. The same table runs on the fake device (the rows whose row
// tile is the one the engine picks, the only one the fake models: TestOpTableOnKernelModels)
// and on a GPU (every row: TestKernels, tagged cuda), so a kernel argument, layout or rounding
// on which the Go models and the device disagree shows in the same named row. The imported
// graphs' kernels are checked per op by kernels/emu/emu_graph_test.cpp and as networks by the
// conformance suite (TestGraphConformance).

// opRow is one row: a kernel on a shape, run on a backend, giving its relative error.
type opRow struct {
	name string  // kernel and shape, as the device check's table prints it
	tol  float64 // relative error allowed (‖got − want‖ / ‖want‖)
	tile int     // conv rows: the kernel's row tile (0 for other kernels)
	cout int     // conv rows: output channels
	run  func(be backend) (float64, error)
}

// convTols are the conv kernels' tolerances by operand precision (bf16f: bf16 operands on
// float32 activations).
var convTols = map[string]float64{"f32": 1e-5, "tf32": 3e-3, "bf16": 2e-2, "bf16f": 2e-2}

// convCases are the GEMM conv kernels' shapes: a shared 3-channel input (the stem), stride 2,
// a residual with partial tiles in every dimension, 1x1 at stride 2, a linear layer (37 images
// of 64 features), 100 output channels.
var convCases = []convCase{
	{2, 3, 3, 32, 32, 16, 3, 1, 1, true, false, true},
	{2, 4, 16, 16, 16, 32, 3, 2, 1, false, false, true},
	{3, 2, 32, 17, 15, 64, 3, 1, 1, false, true, true},
	{2, 3, 16, 16, 16, 32, 1, 2, 0, false, false, false},
	{2, 37, 64, 1, 1, 10, 1, 1, 0, false, false, false},
	{1, 2, 20, 9, 7, 100, 3, 1, 1, false, true, true},
}

// haloCases are layers HaloEligible takes: ResNet-56's first stage, blocks spanning images,
// stride 2, pad 0, 3 channel blocks, Cout < 16 and 24.
var haloCases = []convCase{
	{1, 4, 16, 32, 32, 16, 3, 1, 1, false, true, true},
	{2, 3, 16, 7, 8, 10, 3, 1, 1, true, false, true},
	{2, 2, 16, 9, 8, 20, 3, 2, 1, false, false, true},
	{1, 2, 16, 6, 8, 16, 3, 1, 0, false, true, false},
	{1, 3, 48, 10, 8, 24, 3, 1, 1, false, false, true},
}

// opTable returns every row: the reference (conv.cu, conv_mma.cu) and fast (conv_fast.cu) GEMM
// kernels in every precision and row tile, the halo kernels (conv_halo.cu), the pools and the
// loss, and the newer imported-graph kernels (extRows).
func opTable() []opRow {
	var rows []opRow
	for _, fast := range []bool{false, true} {
		for _, prec := range []string{"f32", "tf32", "bf16", "bf16f"} {
			for ci, c := range convCases {
				if fast && !FastEligible(model.ConvGeom{Cin: c.cin}) {
					c.cin += 4 - c.cin%4 // the fast kernels take Cin % 4 == 0 only
				}
				for _, bm := range []int{16, 32, 64} {
					name := kernels.ConvName(prec, bm)
					if fast {
						name = kernels.ConvFastName(prec, bm)
					}
					rows = append(rows, convRow(name, prec, bm, c, int64(ci), fast))
				}
			}
		}
	}
	for ci, c := range haloCases {
		for _, prec := range []string{"tf32", "bf16", "bf16f"} {
			for _, bm := range []int{16, 32} {
				rows = append(rows, convRow(kernels.ConvHaloName(prec, bm), prec, bm, c, int64(ci), true))
			}
		}
	}
	rows = append(rows, extRows()...) // the newer imported-graph kernels (ops_ext_test.go)
	return append(rows, opRow{name: "maxpool 2x2 ceil (NaN kept)", run: runMaxpool},
		opRow{name: "avgpool", run: runAvgpool}, opRow{name: "cross_entropy", tol: 1e-12, run: runCrossEntropy})
}

// convRow is the row of conv kernel name on case c.
func convRow(name, prec string, bm int, c convCase, seed int64, fast bool) opRow {
	return opRow{name: fmt.Sprintf("%s k%d s%d %d->%d", name, c.ks, c.stride, c.cin, c.cout), tol: convTols[prec],
		tile: bm, cout: c.cout, run: func(be backend) (float64, error) { return runConvNamed(be, name, prec, bm, c, seed, fast) }}
}

// runOpTable runs the rows take accepts on be and reports each (kernelReport).
func runOpTable(t *testing.T, be backend, take func(opRow) bool) {
	n := 0
	for _, r := range opTable() {
		if !take(r) {
			continue
		}
		rel, err := r.run(be)
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		kernelReport(t, r.name, rel, r.tol)
		n++
	}
	if n == 0 {
		t.Fatal("no row of the op table ran")
	}
}

// TestOpTableOnKernelModels runs the op table on the fake device: the rows whose row tile is
// the engine's choice for their channels (the fake refuses another, as a check of the engine).
func TestOpTableOnKernelModels(t *testing.T) {
	runOpTable(t, newFake(1<<30), func(r opRow) bool { return r.tile == 0 || r.tile == kernels.ConvTile(r.cout) })
}

func runMaxpool(be backend) (float64, error) {
	const n, c, h, w = 6, 8, 9, 7
	in := randSlice(n*c*h*w, 1, 11)
	in[5] = float32(math.NaN())
	oh, ow := (h+1)/2, (w+1)/2
	dIn, err := upload(be, in)
	if err != nil {
		return 0, err
	}
	dOut, err := be.alloc(int64(n * c * oh * ow * 4))
	if err != nil {
		return 0, err
	}
	if err := launchMaxpool(be, kMaxpool, dim{blocks(n*c*oh*ow, 256), 1, 1}, dim{256, 1, 1},
		maxpoolArgs{In: dIn, Out: dOut, Images: cint64(n), C: cint(c), H: cint(h), W: cint(w), KS: 2}); err != nil {
		return 0, err
	}
	got := make([]float32, n*c*oh*ow)
	if err := waitErr(be); err != nil {
		return 0, err
	}
	if err := download(be, got, dOut); err != nil {
		return 0, err
	}
	want := make([]float32, len(got))
	for i := range n {
		cpu.MaxPool(want[i*c*oh*ow:], in[i*c*h*w:], c, h, w, 2)
	}
	if !math.IsNaN(float64(got[5/2])) { // in[5] is in row 0, column 5: output (0, 2)'s window
		return math.Inf(1), nil // the NaN was dropped
	}
	return relErr(got, f64(want)), nil
}

func runAvgpool(be backend) (float64, error) {
	const n, c, h, w = 6, 8, 9, 7
	in := randSlice(n*c*h*w, 1, 11)
	dIn, err := upload(be, in)
	if err != nil {
		return 0, err
	}
	dOut, err := be.alloc(int64(n * c * 4))
	if err != nil {
		return 0, err
	}
	if err := launchAvgpool(be, kAvgpool, dim{1, 1, 1}, dim{256, 1, 1}, avgpoolArgs{In: dIn, Out: dOut, Planes: cint64(n * c), HW: cint(h * w)}); err != nil {
		return 0, err
	}
	if err := waitErr(be); err != nil {
		return 0, err
	}
	avg := make([]float32, n*c)
	if err := download(be, avg, dOut); err != nil {
		return 0, err
	}
	want := make([]float32, n*c)
	cpu.GlobalAvgPool(want, in, h*w)
	return relErr(avg, f64(want)), nil
}

// runCrossEntropy checks cross_entropy's loss sums, Σ ℓ² and correct counts against
// engine.CrossEntropy, returning the larger relative error of the two sums (+Inf when a count
// differs).
func runCrossEntropy(be backend) (float64, error) {
	const k, b, classes = 3, 1000, 10
	z := randSlice(k*b*classes, 4, 12)
	labels := make([]int32, b)
	for i := range labels {
		labels[i] = int32((i * 7) % classes)
	}
	var dev [5]ptr // logits, labels, loss, loss², correct
	var err error
	for i, host := range []any{z, labels, make([]float64, k), make([]float64, k), make([]int64, k)} {
		if dev[i], err = uploadAny(be, host); err != nil {
			return 0, err
		}
	}
	if err := launchCrossEntropy(be, kCrossEntropy, dim{k, 1, 1}, dim{256, 1, 1}, crossEntropyArgs{Logits: dev[0],
		Labels: dev[1], B: cint(b), Classes: cint(classes), LossSum: dev[2], LossSq: dev[3], Correct: dev[4]}); err != nil {
		return 0, err
	}
	if err := waitErr(be); err != nil {
		return 0, err
	}
	gl, gq, gc := make([]float64, k), make([]float64, k), make([]int64, k)
	for _, err := range []error{download(be, gl, dev[2]), download(be, gq, dev[3]), download(be, gc, dev[4])} {
		if err != nil {
			return 0, err
		}
	}
	var num, den, numQ, denQ float64
	for kk := range k {
		var wl, wq float64
		var wc int64
		for i := range b {
			l, ok := engine.CrossEntropy(z[(kk*b+i)*classes:][:classes], labels[i])
			wl += l
			wq += l * l
			if ok {
				wc++
			}
		}
		num, den = num+(gl[kk]-wl)*(gl[kk]-wl), den+wl*wl
		numQ, denQ = numQ+(gq[kk]-wq)*(gq[kk]-wq), denQ+wq*wq
		if gc[kk] != wc {
			return math.Inf(1), nil // a correct count differs
		}
	}
	return max(math.Sqrt(num/den), math.Sqrt(numQ/denQ)), nil
}

// uploadAny uploads a []float32, []int32, []float64 or []int64.
func uploadAny(be backend, host any) (ptr, error) {
	switch h := host.(type) {
	case []float32:
		return upload(be, h)
	case []int32:
		return upload(be, h)
	case []float64:
		return upload(be, h)
	case []int64:
		return upload(be, h)
	}
	return 0, fmt.Errorf("uploadAny: %T", host)
}

// relErr is ‖got − want‖ / ‖want‖ over all elements; NaN where want is finite never passes.
func relErr(got []float32, want []float64) float64 {
	var num, den float64
	for i, w := range want {
		g := float64(got[i])
		if math.IsNaN(w) && math.IsNaN(g) {
			continue
		}
		num += (g - w) * (g - w)
		den += w * w
	}
	if den == 0 {
		den = 1
	}
	return math.Sqrt(num / den)
}

// randSlice returns n deterministic N(0, scale²) values.
func randSlice(n int, scale float64, seed int64) []float32 {
	d := data.Synthetic(1, 1, 1, n, 2, seed)
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(float64(d.Images[i]) * scale)
	}
	return out
}

// kernelReport prints one line the device check's table collects.
func kernelReport(t *testing.T, name string, rel, tol float64) {
	t.Helper()
	ok := rel <= tol
	fmt.Printf("kernel %-34s rel_err %.3g tol %.g %s\n", name, rel, tol, map[bool]string{true: "ok", false: "FAIL"}[ok])
	if !ok {
		t.Errorf("%s: relative error %.3g > %g", name, rel, tol)
	}
}

type convCase struct {
	k, b, cin, h, w, cout, ks, stride, pad int
	shared, residual, relu                 bool
}

// actUpload uploads activations: float32, or for bf16 kernels (act16) rounded to bf16 in place (the
// reference then uses the rounded values, as a network storing bf16 activations) and sent as bf16.
func actUpload(be backend, v []float32, act16 bool) (ptr, error) {
	if !act16 {
		return upload(be, v)
	}
	b := make([]byte, 2*len(v))
	for i, x := range v {
		h := bf16Bits(x)
		v[i] = math.Float32frombits(uint32(h) << 16)
		binary.LittleEndian.PutUint16(b[2*i:], h)
	}
	p, err := be.alloc(int64(len(b)))
	if err == nil {
		err = be.copyIn(p, b)
	}
	return p, err
}

// runConvNamed is runConv for kernel name (fast: tap-major weights). prec "bf16": the kernel's
// activations (In, Res, Out) are bf16; "bf16f": bf16 operands on float32 activations.
func runConvNamed(be backend, name, prec string, bm int, c convCase, seed int64, fast bool) (float64, error) {
	act16 := prec == "bf16"
	g := model.ConvGeom{Cin: c.cin, H: c.h, W: c.w, Cout: c.cout, K: c.ks, Stride: c.stride, Pad: c.pad}
	g.OH, g.OW = (c.h+2*c.pad-c.ks)/c.stride+1, (c.w+2*c.pad-c.ks)/c.stride+1
	inImg, outImg := c.cin*c.h*c.w, c.cout*g.OH*g.OW
	sets := c.k
	if c.shared {
		sets = 1
	}
	in := randSlice(sets*c.b*inImg, 1, seed)
	wsz := c.cout * g.R()
	wset := (wsz + c.cout + 3) / 4 * 4 // 16-byte aligned weight sets
	wb := randSlice(c.k*wset, 1/math.Sqrt(float64(g.R())), seed+1)
	res := randSlice(c.k*c.b*outImg, 1, seed+2)
	dIn, err := actUpload(be, in, act16)
	if err != nil {
		return 0, err
	}
	wk := wb
	if fast {
		wk = tapMajor(wb, c, g, wset)
	}
	dW, err := upload(be, wk)
	if err != nil {
		return 0, err
	}
	dRes, err := actUpload(be, res, act16)
	if err != nil {
		return 0, err
	}
	dTaps, err := upload(be, Taps(g))
	if err != nil {
		return 0, err
	}
	elem := 4
	if act16 {
		elem = 2
	}
	dOut, err := be.alloc(int64(c.k * c.b * outImg * elem))
	if err != nil {
		return 0, err
	}
	inSet := c.b * inImg
	if c.shared {
		inSet = 0
	}
	var resArg ptr
	if c.residual {
		resArg = dRes
	}
	threads := 128
	if prec == "f32" {
		threads = 256
	}
	if err := launchConv(be, convKernel(name), dim{ceilDiv(c.b*g.OH*g.OW, 128), ceilDiv(c.cout, bm), c.k}, dim{threads, 1, 1},
		convArgs{In: dIn, InSetStride: cint64(inSet), Weights: dW, Bias: dW + ptr(4*wsz), WSetStride: cint64(wset),
			Res: resArg, Out: dOut, Taps: dTaps, B: cint(c.b), Cin: cint(c.cin), H: cint(c.h), W: cint(c.w), Cout: cint(c.cout),
			OH: cint(g.OH), OW: cint(g.OW), KS: cint(c.ks), Stride: cint(c.stride), Pad: cint(c.pad), Relu: cint(b2i(c.relu))}); err != nil {
		return 0, err
	}
	if err := waitErr(be); err != nil {
		return 0, err
	}
	got := make([]float32, c.k*c.b*outImg)
	if err := actDownload(be, got, dOut, act16); err != nil {
		return 0, err
	}
	return relErr(got, convReference(c, g, in, wb, res, wset)), nil
}

// tapMajor returns weight sets wb (wset floats apart) with each row's reduction tap-major, as
// the fast kernels read it: [m][tap·Cin + ci].
func tapMajor(wb []float32, c convCase, g model.ConvGeom, wset int) []float32 {
	wk, kk := slices.Clone(wb), c.ks*c.ks
	for k := range c.k {
		for m := range c.cout {
			for i := range g.R() {
				wk[k*wset+m*g.R()+i%kk*c.cin+i/kk] = wb[k*wset+m*g.R()+i]
			}
		}
	}
	return wk
}

// actDownload copies activations from the device into got: float32, or bf16 widened.
func actDownload(be backend, got []float32, src ptr, act16 bool) error {
	if !act16 {
		return download(be, got, src)
	}
	b := make([]byte, 2*len(got))
	if err := be.copyOut(b, src); err != nil {
		return err
	}
	for i := range got {
		got[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
	}
	return nil
}

// convReference is cpu.Conv over case c's weight sets and images: the expected outputs.
func convReference(c convCase, g model.ConvGeom, in, wb, res []float32, wset int) []float64 {
	inImg, outImg, wsz := c.cin*c.h*c.w, c.cout*g.OH*g.OW, c.cout*g.R()
	want := make([]float64, c.k*c.b*outImg)
	cg := model.ConvGeom{Cin: c.cin, H: c.h, W: c.w, Cout: c.cout, OH: g.OH, OW: g.OW, K: c.ks, Stride: c.stride, Pad: c.pad}
	col := make([]float32, cg.ColSize())
	out := make([]float32, outImg)
	for k := range c.k {
		w := wb[k*wset:]
		for b := range c.b {
			img := in[b*inImg:] // a shared input: one set for all
			if !c.shared {
				img = in[(k*c.b+b)*inImg:]
			}
			var r []float32
			if c.residual {
				r = res[(k*c.b+b)*outImg:][:outImg]
			}
			cpu.Conv(out, img[:inImg], w[:wsz], w[wsz:wsz+c.cout], r, c.relu, cg, col)
			for i, v := range out {
				want[(k*c.b+b)*outImg+i] = float64(v)
			}
		}
	}
	return want
}

func f64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

func waitErr(be backend) error {
	_, err := be.wait()
	return err
}

// download copies len(s) elements at p into s (after wait).
func download[T float32 | int32 | float64 | int64](b backend, s []T, p ptr) error {
	return b.copyOut(bytesOf(s), p)
}
