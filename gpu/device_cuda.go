//go:build cuda

package gpu

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"unsafe"

	"gorgonia.org/cu"

	"landscape/engine"
	"landscape/kernels"
)

// New uploads problem p to GPU o.Device and returns its engine.
func New(p *engine.Problem, o Options) (engine.Engine, error) { return Open(p, o) }

// Open is New returning the concrete type.
func Open(p *engine.Problem, o Options) (*Engine, error) {
	d, err := openDevice(o.Device)
	if err != nil {
		return nil, err
	}
	e, err := newEngine(d, o.Device, p, o)
	if err != nil {
		if exit, berr := d.enter(); berr == nil {
			d.close()
			exit()
		}
		return nil, err
	}
	return e, nil
}

// Devices returns the number of CUDA devices.
func Devices() (int, error) { return cu.NumDevices() }

// DeviceName returns the name of device ordinal.
func DeviceName(ordinal int) (string, error) {
	d, err := cu.GetDevice(ordinal)
	if err != nil {
		return "", err
	}
	return d.Name()
}

// device is one GPU with a context of its own, the kernel modules loaded in it, one stream for
// all launches and two events timing the work between waits. The driver API binds a context
// to an OS thread: every call happens between enter() and its exit.
type device struct {
	ordinal     int
	name        string
	ctx         cu.CUContext
	mods        []cu.Module
	fns         map[string]cu.Function
	allocs      []cu.DevicePtr
	stream      cu.Stream
	start, stop cu.Event
	timing      bool // start has been recorded since the last wait
	major       int  // compute capability
	minor       int
	loaded      map[string]string // module → "cubin sm_90" or "PTX (JIT)"
	graphs      []graphExec       // instantiated CUDA graphs (cudagraph_cuda.go)
	capturing   bool              // d.stream is being captured: launches only record
}

func openDevice(ordinal int) (*device, error) {
	n, err := cu.NumDevices()
	if err != nil {
		return nil, fmt.Errorf("gpu: counting devices: %w", err)
	}
	if ordinal < 0 || ordinal >= n {
		return nil, fmt.Errorf("gpu: no device %d (%d found)", ordinal, n)
	}
	dev, err := cu.GetDevice(ordinal)
	if err != nil {
		return nil, fmt.Errorf("gpu: device %d: %w", ordinal, err)
	}
	d := &device{ordinal: ordinal, fns: map[string]cu.Function{}}
	if d.name, err = dev.Name(); err != nil {
		return nil, fmt.Errorf("gpu: device %d name: %w", ordinal, err)
	}
	if d.major, d.minor, err = dev.ComputeCapability(); err != nil {
		return nil, fmt.Errorf("gpu: device %d (%s) compute capability: %w", ordinal, d.name, err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// cuCtxCreate makes the new context current on this thread.
	if d.ctx, err = dev.MakeContext(cu.SchedBlockingSync); err != nil {
		return nil, fmt.Errorf("gpu: device %d (%s): creating a context: %w", ordinal, d.name, err)
	}
	if err := d.load(); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

// load loads every kernel module, from the embedded cubin of this GPU's architecture when
// there is one (sm_80, sm_90: no JIT), else from the PTX through the driver's JIT compiler, and
// creates the stream and events. LANDSCAPE_GPU_PTX=1 forces the PTX (to test the fallback).
func (d *device) load() error {
	d.loaded = map[string]string{}
	for _, name := range kernels.Modules() {
		var mod cu.Module
		var err error
		if image, arch, ok := kernels.Cubin(name, d.major, d.minor); ok && os.Getenv("LANDSCAPE_GPU_PTX") != "1" {
			if mod, err = cu.LoadData(string(image)); err != nil {
				return fmt.Errorf("gpu: %s (compute %d.%d): loading the %s cubin of module %s: %w", d.name, d.major, d.minor, arch, name, err)
			}
			d.loaded[name] = "cubin " + arch
		} else {
			if mod, err = loadPTX(name); err != nil {
				return fmt.Errorf("gpu: %s (compute %d.%d): %w", d.name, d.major, d.minor, err)
			}
			d.loaded[name] = "PTX (JIT)"
		}
		d.mods = append(d.mods, mod)
		for _, k := range kernels.Kernels {
			if k.Module == name {
				if d.fns[k.Name], err = mod.Function(k.Name); err != nil {
					return fmt.Errorf("gpu: %s: kernel %s: %w", d.name, k.Name, err)
				}
			}
		}
	}
	var err error
	if d.stream, err = cu.MakeStream(cu.DefaultStream); err != nil {
		return fmt.Errorf("gpu: %s: creating a stream: %w", d.name, err)
	}
	if d.start, err = cu.MakeEvent(cu.DefaultEvent); err != nil {
		return fmt.Errorf("gpu: %s: creating an event: %w", d.name, err)
	}
	if d.stop, err = cu.MakeEvent(cu.DefaultEvent); err != nil {
		return fmt.Errorf("gpu: %s: creating an event: %w", d.name, err)
	}
	return nil
}

// loadPTX JIT-compiles module name's PTX for the current context's GPU.
func loadPTX(name string) (cu.Module, error) {
	src, err := kernels.PTX(name)
	if err != nil {
		return cu.Module{}, err
	}
	// The JIT's error log says which line of the PTX it rejected and why; the error code
	// alone (CUDA_ERROR_INVALID_PTX, UNSUPPORTED_PTX_VERSION) does not.
	jitLog := make([]byte, 16<<10)
	mod, err := cu.LoadDataEx(src, &cu.JITErrorLogBuffer{Buffer: jitLog})
	if err != nil {
		if i := bytes.IndexByte(jitLog, 0); i >= 0 {
			jitLog = jitLog[:i]
		}
		msg := strings.TrimSpace(string(jitLog))
		if msg == "" {
			msg = "no JIT log"
		}
		return cu.Module{}, fmt.Errorf("loading PTX module %s (driver JIT, driver version %d): %w: %s", name, cu.Version(), err, msg)
	}
	return mod, nil
}

func (d *device) label() string { return d.name }

func (d *device) enter() (func(), error) {
	runtime.LockOSThread()
	if err := cu.SetCurrentContext(d.ctx); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("gpu: %s: binding the context: %w", d.name, err)
	}
	return runtime.UnlockOSThread, nil
}

// close frees everything; the context must be current.
func (d *device) close() error {
	var first error
	keep := func(err error) {
		if first == nil && err != nil {
			first = err
		}
	}
	var noStream cu.Stream
	if d.stream != noStream {
		keep(d.stream.Synchronize())
		keep(d.dropGraphs())
		keep(d.stream.Destroy())
	}
	var noEvent cu.Event
	for _, ev := range []*cu.Event{&d.start, &d.stop} {
		if *ev != noEvent {
			keep(cu.DestroyEvent(ev))
		}
	}
	for _, p := range d.allocs {
		keep(cu.MemFree(p))
	}
	d.allocs = nil
	for _, m := range d.mods {
		keep(m.Unload())
	}
	d.mods = nil
	if d.ctx != (cu.CUContext{}) {
		keep(d.ctx.Destroy())
	}
	return first
}

func (d *device) alloc(n int64) (ptr, error) {
	p, err := cu.MemAlloc(max(n, 4))
	if err != nil {
		return 0, fmt.Errorf("gpu: %s: allocating %d MiB: %w", d.name, n>>20, err)
	}
	d.allocs = append(d.allocs, p)
	return ptr(p), nil
}

// copyIn and zero run on the legacy default stream, which waits for d.stream's earlier work (a
// blocking stream) and which d.stream's later work waits for.
func (d *device) copyIn(dst ptr, src []byte) error {
	if len(src) == 0 {
		return nil
	}
	if err := cu.MemcpyHtoD(cu.DevicePtr(dst), unsafe.Pointer(&src[0]), int64(len(src))); err != nil {
		return fmt.Errorf("gpu: %s: copying %d bytes to the device: %w", d.name, len(src), err)
	}
	return nil
}

func (d *device) copyOut(dst []byte, src ptr) error {
	if len(dst) == 0 {
		return nil
	}
	if err := cu.MemcpyDtoH(unsafe.Pointer(&dst[0]), cu.DevicePtr(src), int64(len(dst))); err != nil {
		return fmt.Errorf("gpu: %s: copying %d bytes from the device: %w", d.name, len(dst), err)
	}
	return nil
}

func (d *device) zero(dst ptr, n int64) error {
	if err := cu.MemsetD8(cu.DevicePtr(dst), 0, n); err != nil {
		return fmt.Errorf("gpu: %s: clearing %d bytes: %w", d.name, n, err)
	}
	return nil
}

func (d *device) freeMemory() (int64, error) {
	free, _, err := cu.MemInfo()
	if err != nil {
		return 0, fmt.Errorf("gpu: %s: reading free memory: %w", d.name, err)
	}
	return free, nil
}

// launch queues a kernel on d.stream. Each argument sits in an 8-byte slot of its own holding
// exactly its bytes: cu.Function.Launch copies 8 bytes from every slot, and the driver reads
// the parameter's own size (the low bytes, on a little-endian host).
func (d *device) launch(name string, grid, block dim, args ...any) error {
	slots, err := packArgs(name, args)
	if err != nil {
		return err
	}
	fn, ok := d.fns[name]
	if !ok {
		return fmt.Errorf("gpu: kernel %s not loaded", name)
	}
	if grid.x < 1 || grid.y < 1 || grid.z < 1 || grid.y > 65535 || grid.z > 65535 {
		return fmt.Errorf("gpu: %s: grid %+v out of range", name, grid)
	}
	params := make([]unsafe.Pointer, len(slots))
	for i := range slots {
		params[i] = unsafe.Pointer(&slots[i])
	}
	if !d.timing && !d.capturing { // an event recorded into a capture would join the graph
		if err := d.start.Record(d.stream); err != nil {
			return fmt.Errorf("gpu: %s: recording an event: %w", d.name, err)
		}
		d.timing = true
	}
	if err := fn.Launch(grid.x, grid.y, grid.z, block.x, block.y, block.z, 0, d.stream, params); err != nil {
		return fmt.Errorf("gpu: %s: launching %s (grid %+v, block %+v): %w", d.name, name, grid, block, err)
	}
	return nil
}

// sticky reports the CUDA errors after which the context is unusable (CUDA driver API,
// cuGetErrorString: "the context cannot be used, so it must be destroyed (and a new one created)").
func (d *device) sticky(err error) bool {
	for _, r := range []error{cu.IllegalAddress, cu.LaunchFailed, cu.MisalignedAddress, cu.IllegalInstruction,
		cu.HardwareStackError, cu.InvalidAddressSpace, cu.InvalidPc, cu.LaunchTimeout, cu.Assert, cu.EccUncorrectable} {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}

// wait synchronises with d.stream, returning the first asynchronous error (a fault in a
// kernel) and the device time since the first launch after the previous wait.
func (d *device) wait() (float64, error) {
	if !d.timing {
		return 0, d.stream.Synchronize()
	}
	d.timing = false
	if err := d.stop.Record(d.stream); err != nil {
		return 0, err
	}
	if err := d.stream.Synchronize(); err != nil {
		return 0, err
	}
	return d.start.Elapsed(d.stop)
}
