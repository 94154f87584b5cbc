//go:build cuda

package gpu

import (
	"fmt"
	"runtime"
	"unsafe"

	"gorgonia.org/cu"

	"landscape/kernels"
)

// device is one GPU with a context of its own and the kernel modules loaded in it. The driver
// API binds a context to an OS thread: every method that touches the GPU runs between bind()
// and its release.
type device struct {
	ordinal int
	dev     cu.Device
	ctx     cu.CUContext
	name    string
	mods    []cu.Module
	fns     map[string]cu.Function
	allocs  []cu.DevicePtr
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

func openDevice(ordinal int) (*device, error) {
	n, err := cu.NumDevices()
	if err != nil {
		return nil, fmt.Errorf("gpu: counting devices: %w", err)
	}
	if ordinal < 0 || ordinal >= n {
		return nil, fmt.Errorf("gpu: no device %d (%d found)", ordinal, n)
	}
	d := &device{ordinal: ordinal, fns: map[string]cu.Function{}}
	if d.dev, err = cu.GetDevice(ordinal); err != nil {
		return nil, fmt.Errorf("gpu: device %d: %w", ordinal, err)
	}
	if d.name, err = d.dev.Name(); err != nil {
		return nil, fmt.Errorf("gpu: device %d name: %w", ordinal, err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// MakeContext creates the context and makes it current on this thread.
	if d.ctx, err = d.dev.MakeContext(cu.SchedBlockingSync); err != nil {
		return nil, fmt.Errorf("gpu: device %d (%s): creating a context: %w", ordinal, d.name, err)
	}
	for _, name := range kernels.Modules() {
		src, err := kernels.PTX(name)
		if err != nil {
			d.close()
			return nil, err
		}
		mod, err := cu.LoadData(src)
		if err != nil {
			d.close()
			return nil, fmt.Errorf("gpu: %s: loading PTX module %s (driver JIT for this GPU): %w", d.name, name, err)
		}
		d.mods = append(d.mods, mod)
		for _, k := range kernels.Kernels {
			if k.Module != name {
				continue
			}
			fn, err := mod.Function(k.Name)
			if err != nil {
				d.close()
				return nil, fmt.Errorf("gpu: %s: kernel %s: %w", d.name, k.Name, err)
			}
			d.fns[k.Name] = fn
		}
	}
	return d, nil
}

// bind makes the device's context current on this goroutine's (locked) OS thread; call the
// returned function to release the thread.
func (d *device) bind() (release func(), err error) {
	runtime.LockOSThread()
	if err := cu.SetCurrentContext(d.ctx); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("gpu: %s: binding the context: %w", d.name, err)
	}
	return runtime.UnlockOSThread, nil
}

// close frees everything; the context must be bound (or be current from openDevice).
func (d *device) close() error {
	var first error
	keep := func(err error) {
		if first == nil && err != nil {
			first = err
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

// alloc returns n bytes of device memory, freed by close.
func (d *device) alloc(n int64) (cu.DevicePtr, error) {
	p, err := cu.MemAlloc(max(n, 4))
	if err != nil {
		return 0, fmt.Errorf("gpu: %s: allocating %d MiB: %w", d.name, n>>20, err)
	}
	d.allocs = append(d.allocs, p)
	return p, nil
}

// free releases one allocation made by alloc.
func (d *device) free(p cu.DevicePtr) error {
	for i, q := range d.allocs {
		if q == p {
			d.allocs = append(d.allocs[:i], d.allocs[i+1:]...)
			return cu.MemFree(p)
		}
	}
	return fmt.Errorf("gpu: freeing unknown pointer %v", p)
}

// upload allocates device memory for a slice and copies it there.
func upload[T float32 | int32 | float64 | int64](d *device, s []T) (cu.DevicePtr, error) {
	var z T
	n := int64(len(s)) * int64(unsafe.Sizeof(z))
	p, err := d.alloc(n)
	if err != nil || len(s) == 0 {
		return p, err
	}
	if err := cu.MemcpyHtoD(p, unsafe.Pointer(&s[0]), n); err != nil {
		return 0, fmt.Errorf("gpu: %s: copying %d bytes to the device: %w", d.name, n, err)
	}
	return p, nil
}

// copyTo copies s to device memory at p.
func copyTo[T float32 | int32 | float64 | int64](d *device, p cu.DevicePtr, s []T) error {
	if len(s) == 0 {
		return nil
	}
	n := int64(len(s)) * int64(unsafe.Sizeof(s[0]))
	if err := cu.MemcpyHtoD(p, unsafe.Pointer(&s[0]), n); err != nil {
		return fmt.Errorf("gpu: %s: copying %d bytes to the device: %w", d.name, n, err)
	}
	return nil
}

// copyFrom copies len(s) elements at p into s. Work queued on other streams must be finished.
func copyFrom[T float32 | int32 | float64 | int64](d *device, s []T, p cu.DevicePtr) error {
	if len(s) == 0 {
		return nil
	}
	n := int64(len(s)) * int64(unsafe.Sizeof(s[0]))
	if err := cu.MemcpyDtoH(unsafe.Pointer(&s[0]), p, n); err != nil {
		return fmt.Errorf("gpu: %s: copying %d bytes from the device: %w", d.name, n, err)
	}
	return nil
}

// dim is a launch's grid or block size.
type dim struct{ x, y, z int }

// launch runs kernel name on stream s. args are given as cu.DevicePtr (Ptr), int (I32 or I64)
// or float32 (F32) and checked against the kernel's declared parameters; each is stored in a
// slot of its own at its exact size (cu.Function.Launch copies 8 bytes from every slot, and the
// driver reads only the parameter's size, the low bytes on a little-endian host).
func (d *device) launch(s cu.Stream, name string, grid, block dim, shared int, args ...any) error {
	k, err := kernels.Lookup(name)
	if err != nil {
		return err
	}
	fn, ok := d.fns[name]
	if !ok {
		return fmt.Errorf("gpu: kernel %s not loaded", name)
	}
	if len(args) != len(k.Params) {
		return fmt.Errorf("gpu: %s takes %d arguments, got %d", name, len(k.Params), len(args))
	}
	slots := make([]uint64, len(args))
	ptrs := make([]unsafe.Pointer, len(args))
	for i, a := range args {
		slot := unsafe.Pointer(&slots[i])
		ptrs[i] = slot
		switch want := k.Params[i]; {
		case want == kernels.Ptr:
			p, ok := a.(cu.DevicePtr)
			if !ok {
				return fmt.Errorf("gpu: %s argument %d: want a device pointer, got %T", name, i, a)
			}
			*(*uint64)(slot) = uint64(p)
		case want == kernels.I32 || want == kernels.I64:
			v, ok := a.(int)
			if !ok {
				return fmt.Errorf("gpu: %s argument %d: want an int, got %T", name, i, a)
			}
			if want == kernels.I32 {
				if int(int32(v)) != v {
					return fmt.Errorf("gpu: %s argument %d: %d overflows int32", name, i, v)
				}
				*(*int32)(slot) = int32(v)
			} else {
				*(*int64)(slot) = int64(v)
			}
		case want == kernels.F32:
			v, ok := a.(float32)
			if !ok {
				return fmt.Errorf("gpu: %s argument %d: want a float32, got %T", name, i, a)
			}
			*(*float32)(slot) = v
		}
	}
	if grid.x < 1 || grid.y < 1 || grid.z < 1 || grid.y > 65535 || grid.z > 65535 {
		return fmt.Errorf("gpu: %s: grid %+v out of range", name, grid)
	}
	if err := fn.Launch(grid.x, grid.y, grid.z, block.x, block.y, block.z, shared, s, ptrs); err != nil {
		return fmt.Errorf("gpu: %s: launching %s (grid %+v, block %+v): %w", d.name, name, grid, block, err)
	}
	return nil
}
