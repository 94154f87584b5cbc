package gpu

import (
	"fmt"
	"math"
	"unsafe"

	"landscape/kernels"
)

// ptr is a device address.
type ptr uint64

// cint and cint64 are kernel arguments of C type int (32-bit) and long long (64-bit). They are
// distinct types so that the generated argument structs (launch_gen.go) accept only the kind
// the kernel declares; they hold Go ints, and packArgs checks that a cint fits in 32 bits.
type (
	cint   int
	cint64 int
)

// launcher queues kernels: a backend, or the Engine (which adds Options.Sync). The generated
// launchX functions are its only callers with literal arguments.
type launcher interface {
	launch(name string, grid, block dim, args ...any) error
}

// dim is a launch's grid or block size.
type dim struct{ x, y, z int }

// backend is what the engine needs of a device: the CUDA driver (device_cuda.go) or, in tests,
// a Go model of the kernels that checks how the engine calls them (fake_test.go).
type backend interface {
	label() string
	// enter binds the device to the calling goroutine until the returned function is called.
	enter() (exit func(), err error)
	alloc(bytes int64) (ptr, error)
	copyIn(dst ptr, src []byte) error
	copyOut(dst []byte, src ptr) error
	zero(dst ptr, bytes int64) error
	// launch queues kernel name; args are ptr, cint, cint64 or float32, in the kernel's
	// parameter order (call it through the generated launchX functions).
	launch(name string, grid, block dim, args ...any) error
	// wait waits for the queued work and returns its first error; its device time in ms.
	wait() (ms float64, err error)
	// sticky tells whether err leaves the device unusable (a sticky CUDA error such as an
	// illegal address: the context is lost and every later call fails).
	sticky(err error) bool
	freeMemory() (int64, error)
	close() error
}

// StickyError is a device error after which the engine is unusable: its context is lost. Fatal
// reports true, which makes the worker (gpu/remote.Serve) answer and exit so that the client can
// start a fresh process.
type StickyError struct{ Err error }

func (e *StickyError) Error() string {
	return fmt.Sprintf("%v (sticky device error: the GPU context is lost)", e.Err)
}
func (e *StickyError) Unwrap() error { return e.Err }

// Fatal reports true: the process must exit to use the device again.
func (e *StickyError) Fatal() bool { return true }

// bytesOf views a slice's memory as bytes.
func bytesOf[T float32 | int32 | float64 | int64](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(s[0])))
}

// upload allocates device memory for s and copies s there.
func upload[T float32 | int32 | float64 | int64](b backend, s []T) (ptr, error) {
	p, err := b.alloc(int64(len(bytesOf(s))))
	if err == nil {
		err = b.copyIn(p, bytesOf(s))
	}
	return p, err
}

// packArgs checks launch arguments against kernel name's declared parameters and returns each
// in an 8-byte slot holding exactly the parameter's bytes (little-endian, upper bytes zero).
func packArgs(name string, args []any) ([]uint64, error) {
	k, err := kernels.Lookup(name)
	if err != nil {
		return nil, err
	}
	if len(args) != len(k.Params) {
		return nil, fmt.Errorf("gpu: %s takes %d arguments, got %d", name, len(k.Params), len(args))
	}
	slots := make([]uint64, len(args))
	for i, a := range args {
		switch want := k.Params[i]; want {
		case kernels.Ptr:
			p, ok := a.(ptr)
			if !ok {
				return nil, fmt.Errorf("gpu: %s argument %d (%s): want a device pointer, got %T", name, i, k.Names[i], a)
			}
			slots[i] = uint64(p)
		case kernels.I32:
			v, ok := a.(cint)
			if !ok {
				return nil, fmt.Errorf("gpu: %s argument %d (%s): want a C int, got %T", name, i, k.Names[i], a)
			}
			if int(int32(v)) != int(v) {
				return nil, fmt.Errorf("gpu: %s argument %d (%s): %d overflows int32", name, i, k.Names[i], v)
			}
			slots[i] = uint64(uint32(int32(v)))
		case kernels.I64:
			v, ok := a.(cint64)
			if !ok {
				return nil, fmt.Errorf("gpu: %s argument %d (%s): want a C long long, got %T", name, i, k.Names[i], a)
			}
			slots[i] = uint64(int64(v))
		case kernels.F32:
			v, ok := a.(float32)
			if !ok {
				return nil, fmt.Errorf("gpu: %s argument %d (%s): want a float32, got %T", name, i, k.Names[i], a)
			}
			slots[i] = uint64(math.Float32bits(v))
		case kernels.F64:
			v, ok := a.(float64)
			if !ok {
				return nil, fmt.Errorf("gpu: %s argument %d (%s): want a float64, got %T", name, i, k.Names[i], a)
			}
			slots[i] = math.Float64bits(v)
		}
	}
	return slots, nil
}
