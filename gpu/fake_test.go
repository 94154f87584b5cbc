package gpu

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"unsafe"

	"landscape/cpu"
	"landscape/engine"
	"landscape/internal/enginetest"
	"landscape/kernels"
	"landscape/model"
)

// fakeDevice is a backend whose kernels are Go models of their specifications (the math at the
// top of each .cu file), over memory that faults on out-of-bounds access. Running the engine
// on it tests everything the engine decides (buffers, offsets, strides, grids, argument order,
// batching) without a GPU; the kernels themselves are tested by kernels/emu and on the device.
type fakeDevice struct {
	allocs   []fakeAlloc
	next     ptr
	free     int64
	launches map[string]int
	failWait error
	// failAfter makes the launch of that kernel fail asynchronously: the next wait returns
	// failErr (and every later one too when failErr is sticky, as a lost CUDA context does).
	failAfter string
	failErr   error
	pending   error
	// CUDA graphs (fake_cudagraph_test.go): failCapture makes capture fail; the counts of
	// graphs captured and replayed.
	failCapture        bool
	captured, replayed int
	acts               map[kernels.Act]int // activation codes launched (activate, affine, conv_direct)
}

// errFakeSticky stands for a sticky CUDA error (illegal address) in the fake device.
var errFakeSticky = errors.New("fake illegal address")

type fakeAlloc struct {
	base ptr
	mem  []byte
}

func newFake(free int64) *fakeDevice {
	return &fakeDevice{next: 1 << 20, free: free, launches: map[string]int{}, acts: map[kernels.Act]int{}}
}

func (f *fakeDevice) label() string              { return "fake" }
func (f *fakeDevice) enter() (func(), error)     { return func() {}, nil }
func (f *fakeDevice) freeMemory() (int64, error) { return f.free, nil }
func (f *fakeDevice) close() error               { f.allocs = nil; return nil }

func (f *fakeDevice) alloc(n int64) (ptr, error) {
	a := fakeAlloc{base: f.next, mem: make([]byte, max(n, 4))}
	a.mem[0] = 0xff // NaN-filled float32: reading what was never written shows
	for i := 1; i < len(a.mem); i *= 2 {
		copy(a.mem[i:], a.mem[:i])
	}
	f.allocs = append(f.allocs, a)
	f.next += ptr((len(a.mem)+255)/256*256 + 256)
	return a.base, nil
}

// bytesAt returns the memory from p to the end of its allocation.
func (f *fakeDevice) bytesAt(p ptr) []byte {
	i := sort.Search(len(f.allocs), func(i int) bool { return f.allocs[i].base > p }) - 1
	if i < 0 || p >= f.allocs[i].base+ptr(len(f.allocs[i].mem)) {
		panic(fmt.Sprintf("address %#x is in no allocation", p))
	}
	return f.allocs[i].mem[p-f.allocs[i].base:]
}

func view[T float32 | int32 | float64 | int64 | uint16](f *fakeDevice, p ptr) []T {
	if p == 0 {
		return nil
	}
	b := f.bytesAt(p)
	var z T
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b)/int(unsafe.Sizeof(z)))
}

func (f *fakeDevice) copyIn(dst ptr, src []byte) (err error) {
	defer recoverFault(&err)
	if len(src) > 0 {
		copy(f.bytesAt(dst)[:len(src)], src)
	}
	return nil
}

func (f *fakeDevice) copyOut(dst []byte, src ptr) (err error) {
	defer recoverFault(&err)
	if len(dst) > 0 {
		copy(dst, f.bytesAt(src)[:len(dst)])
	}
	return nil
}

func (f *fakeDevice) zero(dst ptr, n int64) (err error) {
	defer recoverFault(&err)
	clear(f.bytesAt(dst)[:n])
	return nil
}

func (f *fakeDevice) wait() (float64, error) {
	if err := f.pending; err != nil {
		if !f.sticky(err) {
			f.pending = nil
		}
		return 0, err
	}
	return 0, f.failWait
}

func (f *fakeDevice) sticky(err error) bool { return errors.Is(err, errFakeSticky) }

func recoverFault(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("device fault: %v", r)
	}
}

func (f *fakeDevice) launch(name string, grid, block dim, args ...any) (err error) {
	defer recoverFault(&err)
	if _, err := packArgs(name, args); err != nil {
		return err
	}
	f.launches[name]++
	if name == f.failAfter && f.pending == nil {
		f.pending, f.failAfter = f.failErr, ""
	}
	if k := kernels.Kernels[name]; k.Family != "" {
		return f.conv(k, grid, block, convArgsOf(args))
	}
	switch name {
	case "maxpool", "maxpool_bf16":
		a := maxpoolArgsOf(args)
		c, h, w, ks := int(a.C), int(a.H), int(a.W), int(a.KS)
		oh, ow := ceilDiv(h, ks), ceilDiv(w, ks)
		in, out := actsAt(f, a.In, name == "maxpool_bf16"), actsAt(f, a.Out, name == "maxpool_bf16")
		inF, outF := in.widen(int(a.Images)*c*h*w), make([]float32, int(a.Images)*c*oh*ow)
		for i := range int(a.Images) {
			cpu.MaxPool(outF[i*c*oh*ow:], inF[i*c*h*w:(i+1)*c*h*w], c, h, w, ks)
		}
		out.store(outF)
	case "avgpool", "avgpool_bf16":
		a := avgpoolArgsOf(args)
		in, out := actsAt(f, a.In, name == "avgpool_bf16"), actsAt(f, a.Out, name == "avgpool_bf16")
		outF := make([]float32, a.Planes)
		cpu.GlobalAvgPool(outF, in.widen(int(a.Planes)*int(a.HW)), int(a.HW))
		out.store(outF)
	case "to_bf16":
		a := toBf16ArgsOf(args)
		actsAt(f, a.Out, true).store(view[float32](f, a.In)[:a.N])
	case "cross_entropy", "cross_entropy_bf16":
		f.crossEntropy(grid, crossEntropyArgsOf(args), name == "cross_entropy_bf16")
	case "fold_weights":
		f.fold(grid, foldWeightsArgsOf(args))
	default:
		if ok, err := f.graphKernel(name, grid, block, args); ok {
			return err
		}
		return fmt.Errorf("fake device: no model of %s", name)
	}
	return nil
}

// crossEntropy models loss.cu: per weight set k (grid x), the sums of engine.CrossEntropy and
// of its square over the batch's images and the count of correct ones.
func (f *fakeDevice) crossEntropy(grid dim, a crossEntropyArgs, bf16 bool) {
	b, classes := int(a.B), int(a.Classes)
	logits, labels := actsAt(f, a.Logits, bf16).widen(grid.x*b*classes), view[int32](f, a.Labels)
	loss, sq, correct := view[float64](f, a.LossSum), view[float64](f, a.LossSq), view[int64](f, a.Correct)
	for k := range grid.x {
		for i := range b {
			l, ok := engine.CrossEntropy(logits[(k*b+i)*classes:][:classes], labels[i])
			loss[k] += l
			sq[k] += l * l
			if ok {
				correct[k]++
			}
		}
	}
}

// convLaunchOK checks what the conv kernels assume of a launch: the halo kernels' eligibility
// (they trap otherwise), the fast kernels' 16-byte aligned weights, the grid, block and tile.
func (f *fakeDevice) convLaunchOK(k kernels.Kernel, grid, block dim, a convArgs) error {
	cin, cout, inSet, wSet := int(a.Cin), int(a.Cout), int(a.InSetStride), int(a.WSetStride)
	if k.Family == "conv3" {
		g := model.ConvGeom{Cin: cin, H: int(a.H), W: int(a.W), Cout: cout, OH: int(a.OH), OW: int(a.OW), K: int(a.KS), Stride: int(a.Stride), Pad: int(a.Pad)}
		elem := 4
		if k.Precision == "bf16" {
			elem = 2
		}
		if k.Precision == "f32" || !HaloEligible(g, int(a.B)) || !haloAligned(a.In, inSet, elem) {
			return fmt.Errorf("%s: layer %+v of %d images (input %#x, set stride %d) is not halo-eligible", k.Name, g, a.B, uint64(a.In), inSet)
		}
	}
	if k.Family != "conv" && (cin%4 != 0 || (uint64(a.Weights)+4*uint64(wSet))%16 != 0 || wSet%4 != 0) {
		return fmt.Errorf("%s: Cin %d or weights %#x (set stride %d) not 16-byte aligned", k.Name, cin, uint64(a.Weights), wSet)
	}
	npix := int(a.B) * int(a.OH) * int(a.OW)
	if grid.x != ceilDiv(npix, kernels.ConvPixelTile) || grid.y != ceilDiv(cout, k.Tile) || block.x != kernels.ConvThreads(k.Precision) {
		return fmt.Errorf("%s: grid %+v block %+v for %d pixels, %d channels", k.Name, grid, block, npix, cout)
	}
	if k.Tile != kernels.ConvTile(cout) {
		return fmt.Errorf("%s: tile %d for %d channels", k.Name, k.Tile, cout)
	}
	return nil
}

// acts is a device tensor of activations: float32, or bf16 (kernels/common.cuh's bf16s: the upper
// half of a float32, rounded to nearest even as stored).
type acts struct {
	f []float32
	h []uint16
}

func actsAt(f *fakeDevice, p ptr, bf16 bool) acts {
	if p != 0 && bf16 {
		return acts{h: view[uint16](f, p)}
	}
	return acts{f: view[float32](f, p)}
}

func (a acts) at(i int) float32 {
	if a.h != nil {
		return math.Float32frombits(uint32(a.h[i]) << 16)
	}
	return a.f[i]
}

func (a acts) set(i int, v float32) {
	if a.h != nil {
		a.h[i] = bf16Bits(v)
		return
	}
	a.f[i] = v
}

// bf16Bits is cvt.rn.bf16.f32: v rounded to nearest even, a NaN made quiet.
func bf16Bits(v float32) uint16 {
	u := math.Float32bits(v)
	if u&0x7fffffff > 0x7f800000 {
		return uint16(u>>16 | 0x40)
	}
	return uint16(math.Float32bits(roundTo("bf16")(v)) >> 16)
}

// widen returns the first n activations as float32.
func (a acts) widen(n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = a.at(i)
	}
	return out
}

// store sets the first len(v) activations.
func (a acts) store(v []float32) {
	for i, x := range v {
		a.set(i, x)
	}
}

// roundTo returns the rounding the conv kernels apply to their operands: tf32 (cvt.rna: nearest,
// ties away, 10-bit mantissa), bf16 (nearest even, 7-bit mantissa), none for f32.
func roundTo(prec string) func(float32) float32 {
	switch prec {
	case "tf32":
		return func(x float32) float32 {
			u := math.Float32bits(x)
			if u&0x7f800000 == 0x7f800000 {
				return x
			}
			return math.Float32frombits((u + 0x1000) &^ 0x1fff)
		}
	case "bf16":
		return func(x float32) float32 {
			u := math.Float32bits(x)
			if u&0x7fffffff > 0x7f800000 {
				return x
			}
			return math.Float32frombits((u + 0x7fff + (u>>16)&1) &^ 0xffff)
		}
	}
	return func(x float32) float32 { return x }
}

// fold models weights.cu's fold_weights.
func (f *fakeDevice) fold(grid dim, a foldWeightsArgs) {
	theta, dx, dy := view[float32](f, a.Theta), view[float32](f, a.Dx), view[float32](f, a.Dy)
	ab, table, folded := view[float32](f, a.Ab), view[int32](f, a.Table), view[float32](f, a.Folded)
	stride := int(a.FoldStride)
	l := Layout{Table: table[:int(a.Layers)*kernels.FoldFields], Folded: stride}
	parallelFor(grid.y, func(lo, hi int) { // weight sets in parallel: vgg11_bn has 133 M weights
		for k := lo; k < hi; k++ {
			copy(folded[k*stride:(k+1)*stride], l.FoldOnHost(theta, dx, dy, ab[2*k], ab[2*k+1]))
		}
	})
}

// TestEngineOnKernelModels runs the conformance suite on the engine driving the Go kernel models,
// with the launch sizes from free memory and with tiny ones (several point groups and batches).
func TestEngineOnKernelModels(t *testing.T) {
	for _, o := range []Options{{}, {Points: 3, Images: 2}, {Precision: "tf32", Points: 1, Images: 1}, {Precision: "bf16"},
		{Kernels: "reference"}, {Kernels: "reference", Precision: "tf32", Points: 3, Images: 2}} {
		t.Run(fmt.Sprintf("%s_%s_K%d_B%d", o.Kernels, o.Precision, o.Points, o.Images), func(t *testing.T) {
			prec := o.Precision
			if prec == "" {
				prec = "fp32"
			}
			enginetest.RunPrecision(t, func(p *engine.Problem) (engine.Engine, error) {
				return newEngine(newFake(1<<30), 0, p, o)
			}, prec)
		})
	}
}

func TestEngineLaunches(t *testing.T) {
	p, err := enginetest.Setup(enginetest.Cases[3], 1) // vgg9: every kernel
	if err != nil {
		t.Fatal(err)
	}
	f := newFake(1 << 30)
	e, err := newEngine(f, 0, p, Options{Points: 2, Images: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Evaluate(context.Background(), enginetest.Points, 0, 3); err != nil {
		t.Fatal(err)
	}
	// 4 points in groups of 2, 3 images in batches of 2: 2 folds, 4 forward passes.
	// Per pass: 7 convs and fc.0 (64-256 channels), 3 max pools, the 10-way classifier.
	// The first conv (3 channels) runs on the reference kernels, the others on the fast ones.
	want := map[string]int{"fold_weights": 2, "cross_entropy": 4, "maxpool": 4 * 3, "conv_f32_bm64": 4, "conv2_f32_bm64": 4 * 7, "conv2_f32_bm16": 4}
	for name, n := range want {
		if f.launches[name] != n {
			t.Errorf("%s launched %d times, want %d", name, f.launches[name], n)
		}
	}
	if e.Problem() != p {
		t.Error("Problem() is not the engine's problem")
	}
	if got := e.Name(); got != "gpu0 (fake, fp32)" {
		t.Errorf("Name() = %q", got)
	}
	if k, b := e.Capacity(); k != 2 || b != 2 {
		t.Errorf("Capacity() = %d, %d", k, b)
	}
	f.failWait = errors.New("illegal address")
	if _, err := e.Evaluate(context.Background(), enginetest.Points, 0, 3); err == nil || !strings.Contains(err.Error(), "illegal address") {
		t.Errorf("Evaluate with a device fault: %v", err)
	}
	if _, err := e.Evaluate(context.Background(), enginetest.Points, 0, 4); err == nil {
		t.Error("Evaluate past the dataset's end succeeded")
	}
	e.Close()
	if _, err := e.Evaluate(context.Background(), enginetest.Points, 0, 1); err == nil {
		t.Error("Evaluate on a closed engine succeeded")
	}
}

func TestEngineTooLittleMemory(t *testing.T) {
	p, _ := enginetest.Setup(enginetest.Cases[0], 1)
	if _, err := newEngine(newFake(100<<20), 0, p, Options{}); err == nil || !strings.Contains(err.Error(), "too little") {
		t.Fatalf("err = %v", err)
	}
	if _, err := newEngine(newFake(1<<30), 0, p, Options{Precision: "fp16"}); err == nil {
		t.Fatal("fp16 accepted")
	}
}

// TestStickyErrorEndsEngine: after a sticky device error the engine fails every call with it,
// without launching anything, and the error reports itself fatal (the worker then exits).
func TestStickyErrorEndsEngine(t *testing.T) {
	p, _ := enginetest.Setup(enginetest.Cases[0], 1)
	f := newFake(1 << 30)
	e, err := newEngine(f, 0, p, Options{Points: 2, Images: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Evaluate(context.Background(), enginetest.Points, 0, 2); err != nil {
		t.Fatal(err)
	}
	f.failAfter, f.failErr = "cross_entropy", errFakeSticky
	_, err = e.Evaluate(context.Background(), enginetest.Points, 0, 2)
	var fatal interface{ Fatal() bool }
	if !errors.Is(err, errFakeSticky) || !errors.As(err, &fatal) || !fatal.Fatal() {
		t.Fatalf("Evaluate after an illegal address: %v, want a fatal error wrapping it", err)
	}
	launched := f.launches["fold_weights"]
	if _, err2 := e.Evaluate(context.Background(), enginetest.Points, 0, 2); !errors.Is(err2, errFakeSticky) {
		t.Fatalf("next Evaluate: %v, want the sticky error again", err2)
	}
	if f.launches["fold_weights"] != launched {
		t.Fatal("a dead engine launched kernels")
	}
}

// TestSyncNamesFailingKernel: with Options.Sync the error of a failing kernel names it; without,
// the fault surfaces at the end of the batch and no kernel can be named.
func TestSyncNamesFailingKernel(t *testing.T) {
	p, _ := enginetest.Setup(enginetest.Cases[3], 1) // vgg9: has max pools
	for _, sync := range []bool{false, true} {
		f := newFake(1 << 30)
		e, err := newEngine(f, 0, p, Options{Points: 2, Images: 2, Sync: sync})
		if err != nil {
			t.Fatal(err)
		}
		f.failAfter, f.failErr = "maxpool", errors.New("fake misaligned address")
		_, err = e.Evaluate(context.Background(), enginetest.Points, 0, 2)
		if err == nil || !strings.Contains(err.Error(), "fake misaligned address") {
			t.Fatalf("sync %v: %v, want the fault", sync, err)
		}
		if named := strings.Contains(err.Error(), "kernel maxpool"); named != sync {
			t.Errorf("sync %v: error %q names the kernel: %v", sync, err, named)
		}
		// A fault that is not sticky leaves the engine usable.
		if _, err := e.Evaluate(context.Background(), enginetest.Points, 0, 2); err != nil {
			t.Errorf("sync %v: after a non-sticky fault: %v", sync, err)
		}
	}
	t.Setenv(SyncEnv, "1")
	e, _ := newEngine(newFake(1<<30), 0, p, Options{})
	if !e.sync {
		t.Errorf("%s=1 does not set Sync", SyncEnv)
	}
}
