//go:build cuda

package gpu

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"landscape/cpu"
	"landscape/data"
	"landscape/direction"
	"landscape/engine"
	"landscape/internal/enginetest"
	"landscape/kernels"
	"landscape/model"
	"landscape/scan"
)

func factory(o Options) engine.Factory {
	return func(p *engine.Problem) (engine.Engine, error) { return New(p, o) }
}

// TestConformance runs the engine suite in every precision on both kernel paths, with the sizes
// from free memory and with tiny K and B so that every Evaluate spans several point groups and
// image batches, each precision against its own tolerance (enginetest.LossTols).
func TestConformance(t *testing.T) {
	for _, path := range []string{"fast", "reference"} {
		for _, prec := range Precisions {
			t.Run(path+"_"+prec+"_capacity", func(t *testing.T) {
				enginetest.RunPrecision(t, factory(Options{Precision: prec, Kernels: path}), prec)
			})
			t.Run(path+"_"+prec+"_K3B2", func(t *testing.T) {
				enginetest.RunPrecision(t, factory(Options{Precision: prec, Kernels: path, Points: 3, Images: 2}), prec)
			})
		}
	}
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

// TestKernels compares every kernel with the CPU engine's layer functions on fresh random inputs.
func TestKernels(t *testing.T) {
	d, err := openDevice(0)
	if err != nil {
		t.Fatal(err)
	}
	release, err := d.enter()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	defer d.close()
	cases := []convCase{
		{2, 3, 3, 32, 32, 16, 3, 1, 1, true, false, true},
		{2, 4, 16, 16, 16, 32, 3, 2, 1, false, false, true},
		{3, 2, 32, 17, 15, 64, 3, 1, 1, false, true, true},
		{2, 3, 16, 16, 16, 32, 1, 2, 0, false, false, false},
		{2, 37, 64, 1, 1, 10, 1, 1, 0, false, false, false},
		{1, 2, 20, 9, 7, 100, 3, 1, 1, false, true, true},
	}
	for _, fast := range []bool{false, true} {
		for _, prec := range []string{"f32", "tf32", "bf16", "bf16f"} {
			tol := map[string]float64{"f32": 1e-5, "tf32": 3e-3, "bf16": 2e-2, "bf16f": 2e-2}[prec]
			for ci, c := range cases {
				if fast && !FastEligible(ConvGeom{Cin: c.cin}) {
					c.cin += 4 - c.cin%4 // the fast kernels take Cin % 4 == 0 only
				}
				for _, bm := range []int{16, 32, 64} {
					rel, err := runConv(d, prec, bm, c, int64(ci), fast)
					if err != nil {
						t.Fatal(err)
					}
					name := kernels.ConvName(prec, bm)
					if fast {
						name = kernels.ConvFastName(prec, bm)
					}
					kernelReport(t, fmt.Sprintf("%s k%d s%d %d->%d", name, c.ks, c.stride, c.cin, c.cout), rel, tol)
				}
			}
		}
	}
	// The tf32 halo kernels (conv_halo.cu) on layers HaloEligible takes: ResNet-56's first stage,
	// blocks spanning images, stride 2, pad 0, 3 channel blocks, Cout < 16 and 24.
	haloCases := []convCase{
		{1, 4, 16, 32, 32, 16, 3, 1, 1, false, true, true},
		{2, 3, 16, 7, 8, 10, 3, 1, 1, true, false, true},
		{2, 2, 16, 9, 8, 20, 3, 2, 1, false, false, true},
		{1, 2, 16, 6, 8, 16, 3, 1, 0, false, true, false},
		{1, 3, 48, 10, 8, 24, 3, 1, 1, false, false, true},
	}
	for ci, c := range haloCases {
		for _, hb := range []struct {
			prec string
			bm   int
			tol  float64
		}{{"tf32", 16, 3e-3}, {"tf32", 32, 3e-3}, {"bf16", 16, 2e-2}, {"bf16", 32, 2e-2}, {"bf16f", 16, 2e-2}, {"bf16f", 32, 2e-2}} {
			bm := hb.bm
			g := ConvGeom{Cin: c.cin, H: c.h, W: c.w, Cout: c.cout, KS: c.ks, Stride: c.stride, Pad: c.pad}
			g.OH, g.OW = (c.h+2*c.pad-c.ks)/c.stride+1, (c.w+2*c.pad-c.ks)/c.stride+1
			if !HaloEligible(g, c.b) {
				t.Fatalf("halo case %d is not HaloEligible", ci)
			}
			name := kernels.ConvHaloName(hb.prec, bm)
			rel, err := runConvNamed(d, name, hb.prec, bm, c, int64(ci), true)
			if err != nil {
				t.Fatal(err)
			}
			kernelReport(t, fmt.Sprintf("%s k%d s%d %d->%d", name, c.ks, c.stride, c.cin, c.cout), rel, hb.tol)
		}
	}
	testPools(t, d)
	testCrossEntropy(t, d)
	testFilterNormalize(t, d)
	testFold(t) // last: its engine binds (and destroys) a context of its own on this thread
}

// runConv runs one conv kernel (fast: conv_fast.cu's, with tap-major weights) on random data and
// returns its error against cpu.Conv.
func runConv(d *device, prec string, bm int, c convCase, seed int64, fast bool) (float64, error) {
	name := kernels.ConvName(prec, bm)
	if fast {
		name = kernels.ConvFastName(prec, bm)
	}
	return runConvNamed(d, name, prec, bm, c, seed, fast)
}

// actUpload uploads activations: float32, or for bf16 kernels (act16) rounded to bf16 in place (the
// reference then uses the rounded values, as a network storing bf16 activations) and sent as bf16.
func actUpload(d *device, v []float32, act16 bool) (ptr, error) {
	if !act16 {
		return upload(d, v)
	}
	b := make([]byte, 2*len(v))
	for i, x := range v {
		h := bf16Bits(x)
		v[i] = math.Float32frombits(uint32(h) << 16)
		binary.LittleEndian.PutUint16(b[2*i:], h)
	}
	p, err := d.alloc(int64(len(b)))
	if err == nil {
		err = d.copyIn(p, b)
	}
	return p, err
}

// runConvNamed is runConv for kernel name (fast: tap-major weights). prec "bf16": the kernel's
// activations (In, Res, Out) are bf16; "bf16f": bf16 operands on float32 activations.
func runConvNamed(d *device, name, prec string, bm int, c convCase, seed int64, fast bool) (float64, error) {
	act16 := prec == "bf16"
	g := ConvGeom{Cin: c.cin, H: c.h, W: c.w, Cout: c.cout, KS: c.ks, Stride: c.stride, Pad: c.pad}
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
	dIn, err := actUpload(d, in, act16)
	if err != nil {
		return 0, err
	}
	wk := slices.Clone(wb) // tap-major for the fast kernels: [m][tap·Cin + ci]
	if fast {
		kk := c.ks * c.ks
		for k := range c.k {
			for m := range c.cout {
				for i := range g.R() {
					wk[k*wset+m*g.R()+i%kk*c.cin+i/kk] = wb[k*wset+m*g.R()+i]
				}
			}
		}
	}
	dW, err := upload(d, wk)
	if err != nil {
		return 0, err
	}
	dRes, err := actUpload(d, res, act16)
	if err != nil {
		return 0, err
	}
	dTaps, err := upload(d, Taps(g))
	if err != nil {
		return 0, err
	}
	elem := 4
	if act16 {
		elem = 2
	}
	dOut, err := d.alloc(int64(c.k * c.b * outImg * elem))
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
	if err := launchConv(d, convKernel(name), dim{ceilDiv(c.b*g.OH*g.OW, 128), ceilDiv(c.cout, bm), c.k}, dim{threads, 1, 1},
		convArgs{In: dIn, InSetStride: cint64(inSet), Weights: dW, Bias: dW + ptr(4*wsz), WSetStride: cint64(wset),
			Res: resArg, Out: dOut, Taps: dTaps, B: cint(c.b), Cin: cint(c.cin), H: cint(c.h), W: cint(c.w), Cout: cint(c.cout),
			OH: cint(g.OH), OW: cint(g.OW), KS: cint(c.ks), Stride: cint(c.stride), Pad: cint(c.pad), Relu: cint(b2i(c.relu))}); err != nil {
		return 0, err
	}
	if err := waitErr(d); err != nil {
		return 0, err
	}
	got := make([]float32, c.k*c.b*outImg)
	if act16 {
		b := make([]byte, 2*len(got))
		if err := d.copyOut(b, dOut); err != nil {
			return 0, err
		}
		for i := range got {
			got[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
		}
	} else if err := download(d, got, dOut); err != nil {
		return 0, err
	}
	want := make([]float64, len(got))
	cg := cpu.ConvGeom{Cin: c.cin, H: c.h, W: c.w, Cout: c.cout, OH: g.OH, OW: g.OW, K: c.ks, Stride: c.stride, Pad: c.pad}
	col := make([]float32, cg.ColSize())
	out := make([]float32, outImg)
	for k := range c.k {
		w := wb[k*wset:]
		for b := range c.b {
			img := in[(k*c.b+b)*inImg:]
			if c.shared {
				img = in[b*inImg:]
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
	return relErr(got, want), nil
}

func testPools(t *testing.T, d *device) {
	const n, c, h, w = 6, 8, 9, 7
	in := randSlice(n*c*h*w, 1, 11)
	in[5] = float32(math.NaN())
	oh, ow := (h+1)/2, (w+1)/2
	dIn, _ := upload(d, in)
	dOut, _ := d.alloc(int64(n * c * oh * ow * 4))
	if err := launchMaxpool(d, kMaxpool, dim{blocks(n*c*oh*ow, 256), 1, 1}, dim{256, 1, 1},
		maxpoolArgs{In: dIn, Out: dOut, Images: cint64(n), C: cint(c), H: cint(h), W: cint(w), KS: 2}); err != nil {
		t.Fatal(err)
	}
	got := make([]float32, n*c*oh*ow)
	if err := waitErr(d); err != nil {
		t.Fatal(err)
	}
	download(d, got, dOut)
	want := make([]float32, len(got))
	for i := range n {
		cpu.MaxPool(want[i*c*oh*ow:], in[i*c*h*w:], c, h, w, 2)
	}
	kernelReport(t, "maxpool 2x2 ceil (NaN kept)", relErr(got, f64(want)), 0)
	if !math.IsNaN(float64(got[0])) {
		t.Error("maxpool dropped a NaN")
	}
	if err := launchAvgpool(d, kAvgpool, dim{1, 1, 1}, dim{256, 1, 1}, avgpoolArgs{In: dIn, Out: dOut, Planes: cint64(n * c), HW: cint(h * w)}); err != nil {
		t.Fatal(err)
	}
	if err := waitErr(d); err != nil {
		t.Fatal(err)
	}
	avg := make([]float32, n*c)
	download(d, avg, dOut)
	wantAvg := make([]float32, n*c)
	cpu.GlobalAvgPool(wantAvg, in, h*w)
	kernelReport(t, "avgpool", relErr(avg, f64(wantAvg)), 0)
}

func testCrossEntropy(t *testing.T, d *device) {
	const k, b, classes = 3, 1000, 10
	z := randSlice(k*b*classes, 4, 12)
	labels := make([]int32, b)
	for i := range labels {
		labels[i] = int32((i * 7) % classes)
	}
	dz, _ := upload(d, z)
	dl, _ := upload(d, labels)
	loss, _ := upload(d, make([]float64, k))
	correct, _ := upload(d, make([]int64, k))
	if err := launchCrossEntropy(d, kCrossEntropy, dim{k, 1, 1}, dim{256, 1, 1},
		crossEntropyArgs{Logits: dz, Labels: dl, B: cint(b), Classes: cint(classes), LossSum: loss, Correct: correct}); err != nil {
		t.Fatal(err)
	}
	if err := waitErr(d); err != nil {
		t.Fatal(err)
	}
	gl, gc := make([]float64, k), make([]int64, k)
	download(d, gl, loss)
	download(d, gc, correct)
	var num, den float64
	for kk := range k {
		var wl float64
		var wc int64
		for i := range b {
			l, ok := engine.CrossEntropy(z[(kk*b+i)*classes:][:classes], labels[i])
			wl += l
			if ok {
				wc++
			}
		}
		num += (gl[kk] - wl) * (gl[kk] - wl)
		den += wl * wl
		if gc[kk] != wc {
			t.Errorf("set %d: %d correct, want %d", kk, gc[kk], wc)
		}
	}
	kernelReport(t, "cross_entropy", math.Sqrt(num/den), 1e-12)
}

func testFold(t *testing.T) {
	p, err := enginetest.Setup(enginetest.Cases[3], 5) // vgg9: conv bias + BN, linear + BN1d
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"reference", "fast"} { // PyTorch's order; tap-major for the fast kernels
		testFoldPath(t, p, path)
	}
}

func testFoldPath(t *testing.T, p *engine.Problem, path string) {
	e, err := Open(p, Options{Points: 4, Images: 1, Kernels: path})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.Evaluate(context.Background(), enginetest.Points, 0, 1); err != nil {
		t.Fatal(err)
	}
	release, _ := e.dev.enter()
	defer release()
	got := make([]float32, len(enginetest.Points)*e.layout.Folded)
	download(e.dev, got, e.folded)
	var mismatches int
	for k, pt := range enginetest.Points {
		w, b := enginetest.Folded(p, pt)
		for i, ll := range e.layout.Layers {
			if ll.WOut < 0 {
				continue
			}
			base := got[k*e.layout.Folded:]
			for j, v := range w[i] {
				if math.Float32bits(base[ll.WOut+ll.WIndex(j)]) != math.Float32bits(v) {
					mismatches++
				}
			}
			for j, v := range b[i] {
				if math.Float32bits(base[ll.BOut+j]) != math.Float32bits(v) {
					mismatches++
				}
			}
		}
	}
	kernelReport(t, "fold_weights "+path+" (bit-exact elements differing)", float64(mismatches), 0)
}

func testFilterNormalize(t *testing.T, d *device) {
	const rows, per = 16, 27
	dir, w := randSlice(rows*per, 1, 13), randSlice(rows*per, 0.5, 14)
	dd, _ := upload(d, dir)
	dw, _ := upload(d, w)
	if err := launchFilterNormalize(d, kFilterNormalize, dim{rows, 1, 1}, dim{256, 1, 1}, filterNormalizeArgs{D: dd, W: dw, Per: cint(per)}); err != nil {
		t.Fatal(err)
	}
	if err := waitErr(d); err != nil {
		t.Fatal(err)
	}
	got := make([]float32, rows*per)
	download(d, got, dd)
	dt := &model.Tensor{Name: "x.weight", Shape: []int{rows, 3, 3, 3}, Data: append([]float32(nil), dir...)}
	wt := &model.Tensor{Name: "x.weight", Shape: []int{rows, 3, 3, 3}, Data: w}
	dws, wws := model.NewWeights(), model.NewWeights()
	dws.Add(dt)
	wws.Add(wt)
	direction.Normalize(dws, wws, direction.Options{Norm: "filter", Ignore: "biasbn", DirType: "weights"})
	kernelReport(t, "filter_normalize", relErr(got, f64(dt.Data)), 1e-6)
}

func f64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// TestScanResnet20 scans a resnet20 grid with the scheduler on the GPU and on the CPU engine.
func TestScanResnet20(t *testing.T) {
	p, err := engine.RandomProblem("resnet20", model.Config{InC: 3, HW: 32, Classes: 10}, 100, 1,
		direction.Options{Norm: "filter", Ignore: "biasbn", DirType: "weights"})
	if err != nil {
		t.Fatal(err)
	}
	var pts []engine.Point
	for i := range 5 {
		for j := range 5 {
			pts = append(pts, engine.Point{A: -1 + 0.5*float64(i), B: -1 + 0.5*float64(j)})
		}
	}
	todo := make([]int, len(pts))
	for i := range todo {
		todo[i] = i
	}
	run := func(es []engine.Engine, o scan.Options) ([]float64, []float64) {
		loss, acc := make([]float64, len(pts)), make([]float64, len(pts))
		if err := scan.Run(context.Background(), p, pts, todo, es, o, func(k int, l, a float64) { loss[k], acc[k] = l, a }); err != nil {
			t.Fatal(err)
		}
		return loss, acc
	}
	var cpus []engine.Engine
	for range 8 {
		e, _ := cpu.New(p)
		cpus = append(cpus, e)
	}
	wantLoss, wantAcc := run(cpus, scan.Options{Images: 25, Points: 1})
	for _, pp := range []struct{ path, prec string }{{"fast", "fp32"}, {"fast", "tf32"}, {"fast", "bf16"}, {"reference", "fp32"}} {
		prec := pp.prec
		g, err := New(p, Options{Precision: prec, Kernels: pp.path})
		if err != nil {
			t.Fatal(err)
		}
		gotLoss, gotAcc := run([]engine.Engine{g}, scan.Options{Images: 40, Points: 7})
		g.Close()
		worst, accDiff := 0.0, 0.0
		for k := range pts {
			worst = math.Max(worst, math.Abs(gotLoss[k]-wantLoss[k])/math.Abs(wantLoss[k]))
			if math.IsNaN(gotLoss[k]) {
				worst = math.Inf(1)
			}
			accDiff = math.Max(accDiff, math.Abs(gotAcc[k]-wantAcc[k]))
		}
		tol := map[string]float64{"fp32": 1e-4, "tf32": 3e-2, "bf16": 1e-1}[prec] // reduced precisions: a sanity bound
		fmt.Printf("scan resnet20 %s %s: 25 points x 100 images, max loss rel err vs cpu %.3g (tol %g), max acc diff %.1f%%\n", prec, pp.path, worst, tol, accDiff)
		if !(worst <= tol) {
			t.Errorf("%s: loss rel err %.3g > %g", prec, worst, tol)
		}
		if prec == "fp32" && accDiff > 2 {
			t.Errorf("fp32: accuracy differs by %.1f%%", accDiff)
		}
	}
}

// TestSpeed measures resnet56 on synthetic 32x32 data when LANDSCAPE_SPEED="images,points" is
// set, printing one "speed ..." line per precision and kernel path (the device check's table
// reads them); loss_rel_vs_fp32 compares with the first run (fast fp32).
func TestSpeed(t *testing.T) {
	spec := os.Getenv("LANDSCAPE_SPEED")
	if spec == "" {
		t.Skip("set LANDSCAPE_SPEED=images,points")
	}
	f := strings.Split(spec, ",")
	images, _ := strconv.Atoi(f[0])
	points, _ := strconv.Atoi(f[1])
	n, _ := model.Build("resnet56", model.Config{InC: 3, HW: 32, Classes: 10})
	w := model.Init(n, 1)
	opt := direction.Options{Norm: "filter", Ignore: "biasbn", DirType: "weights"}
	dx, dy := direction.Random(n, "weights", 1, 0), direction.Random(n, "weights", 1, 1)
	direction.Normalize(dx, w, opt)
	direction.Normalize(dy, w, opt)
	p, err := engine.NewProblem(n, w, dx, dy, data.Synthetic(images, 3, 32, 32, 10, 1))
	if err != nil {
		t.Fatal(err)
	}
	pts := make([]engine.Point, points)
	for i := range pts {
		pts[i] = engine.Point{A: -1 + 2*float64(i)/float64(max(1, points-1)), B: 0.5}
	}
	var ref []engine.Sums
	for _, pp := range []struct{ path, prec string }{{"fast", "fp32"}, {"fast", "tf32"}, {"fast", "bf16"},
		{"reference", "fp32"}, {"reference", "tf32"}, {"reference", "bf16"}} {
		prec := pp.prec
		e, err := Open(p, Options{Precision: prec, Kernels: pp.path})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Evaluate(context.Background(), pts[:1], 0, min(images, 256)); err != nil { // warm-up, JIT
			t.Fatal(err)
		}
		t0 := time.Now()
		got, err := e.Evaluate(context.Background(), pts, 0, images)
		el := time.Since(t0).Seconds()
		k, b := e.Capacity()
		e.Close()
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = got
		}
		var worst float64
		for i := range got {
			worst = math.Max(worst, math.Abs(got[i].Loss-ref[i].Loss)/math.Abs(ref[i].Loss))
		}
		fmt.Printf("speed precision=%s kernels=%s images=%d points=%d K=%d B=%d img_per_s=%.1f seconds=%.3f loss0=%.5f loss_rel_vs_fp32=%.2e\n",
			prec, pp.path, images, points, k, b, float64(images*points)/el, el, got[0].Loss/float64(images), worst)
	}
}

func waitErr(d *device) error {
	_, err := d.wait()
	return err
}

// TestStickyFault makes a kernel read an unmapped address on purpose: the wait must report
// CUDA's illegal address, the device must classify it sticky, and every later call must fail
// (the worker then exits and the client starts a fresh one; see gpu/remote's fault tests).
func TestStickyFault(t *testing.T) {
	d, err := openDevice(0)
	if err != nil {
		t.Fatal(err)
	}
	exit, _ := d.enter()
	defer exit()
	defer d.close()
	out, err := d.alloc(4 * 64)
	if err != nil {
		t.Fatal(err)
	}
	bogus := ptr(1 << 47) // far outside any allocation
	if err := launchAvgpool(d, kAvgpool, dim{1, 1, 1}, dim{64, 1, 1}, avgpoolArgs{In: bogus, Out: out, Planes: 64, HW: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	_, err = d.wait()
	if err == nil || !d.sticky(err) {
		t.Fatalf("reading %#x: %v, want a sticky error (illegal address)", uint64(bogus), err)
	}
	fmt.Printf("fault injected: %v (sticky)\n", err)
	if _, err := d.alloc(4); err == nil {
		if err := d.zero(out, 4); err == nil {
			if _, err := d.wait(); err == nil {
				t.Fatal("the context still works after a sticky error")
			}
		}
	}
}

// TestModuleLoading: on sm_80/sm_90 GPUs every module loads from its embedded cubin; with
// LANDSCAPE_GPU_PTX=1 from the PTX (the JIT fallback of other GPUs); both give the same results.
func TestModuleLoading(t *testing.T) {
	c := convCase{2, 3, 16, 16, 16, 32, 3, 1, 1, false, true, true}
	run := func() (map[string]string, []float64) {
		d, err := openDevice(0)
		if err != nil {
			t.Fatal(err)
		}
		release, _ := d.enter()
		defer release()
		defer d.close()
		var rels []float64
		for _, prec := range []string{"f32", "tf32", "bf16"} {
			rel, err := runConv(d, prec, 32, c, 7, true)
			if err != nil {
				t.Fatal(err)
			}
			rels = append(rels, rel)
		}
		for m, how := range d.loaded {
			fmt.Printf("module %-9s %s on %s (compute %d.%d)\n", m, how, d.name, d.major, d.minor)
			if (d.major == 8 || d.major == 9) && !strings.HasPrefix(how, "cubin") {
				t.Errorf("module %s: %s on compute %d.%d, want its cubin", m, how, d.major, d.minor)
			}
		}
		return d.loaded, rels
	}
	_, cubin := run()
	t.Setenv("LANDSCAPE_GPU_PTX", "1")
	loaded, ptx := run()
	for m, how := range loaded {
		if how != "PTX (JIT)" {
			t.Errorf("LANDSCAPE_GPU_PTX=1: module %s loaded as %s", m, how)
		}
	}
	for i := range cubin {
		if cubin[i] != ptx[i] {
			t.Errorf("precision %d: error vs CPU %g from the cubin, %g from the PTX", i, cubin[i], ptx[i])
		}
	}
}
