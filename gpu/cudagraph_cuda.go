//go:build cuda

package gpu

// gorgonia.org/cu v0.9.6 has no stream capture or graph API: these calls go to the driver
// (cuda.h, CUDA 11.4+ for cuGraphInstantiateWithFlags; the kernels' PTX needs an 11.8 driver
// anyway) through cgo, with the raw CUstream that cu.Stream.C exposes.

// #cgo linux CFLAGS: -I/usr/local/cuda/include
// #cgo linux LDFLAGS: -L/usr/local/cuda/lib64 -lcuda
// #include <cuda.h>
// static const char *errName(CUresult r) {
//	const char *s = 0;
//	if (cuGetErrorName(r, &s) != CUDA_SUCCESS || s == 0) return "unknown CUresult";
//	return s;
// }
import "C"

import (
	"fmt"
	"unsafe"
)

// driverError describes a CUresult of the driver call what.
func driverError(what string, r C.CUresult) error {
	return fmt.Errorf("%s: %s (%d)", what, C.GoString(C.errName(r)), int(r))
}

// cstream is d.stream's driver handle.
func (d *device) cstream() C.CUstream { return C.CUstream(unsafe.Pointer(d.stream.C())) }

// capture implements grapher: it captures launches on d.stream into a graph
// (cuStreamBeginCapture in thread-local mode: the thread is locked by enter and makes no other
// driver call until cuStreamEndCapture) and instantiates it. Nothing runs until replay.
func (d *device) capture(launches []launchRec) (graphExec, error) {
	s := d.cstream()
	if r := C.cuStreamBeginCapture(s, C.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL); r != C.CUDA_SUCCESS {
		return nil, driverError("cuStreamBeginCapture", r)
	}
	d.capturing = true
	var lerr error
	for _, l := range launches {
		if lerr = d.launch(l.name, l.grid, l.block, l.args...); lerr != nil {
			break
		}
	}
	d.capturing = false
	var g C.CUgraph
	r := C.cuStreamEndCapture(s, &g)
	if g != nil {
		defer C.cuGraphDestroy(g) // the instantiated graph does not need it
	}
	if lerr != nil {
		return nil, lerr
	}
	if r != C.CUDA_SUCCESS {
		return nil, driverError("cuStreamEndCapture", r)
	}
	var x C.CUgraphExec
	if r := C.cuGraphInstantiateWithFlags(&x, g, 0); r != C.CUDA_SUCCESS {
		return nil, driverError("cuGraphInstantiateWithFlags", r)
	}
	d.graphs = append(d.graphs, x)
	return x, nil
}

// replay implements grapher: it queues graph x on d.stream (now is not checked: the engine's
// key is the whole sequence).
func (d *device) replay(x graphExec, now []launchRec) error {
	if !d.timing {
		if err := d.start.Record(d.stream); err != nil {
			return fmt.Errorf("gpu: %s: recording an event: %w", d.name, err)
		}
		d.timing = true
	}
	if r := C.cuGraphLaunch(x.(C.CUgraphExec), d.cstream()); r != C.CUDA_SUCCESS {
		return fmt.Errorf("gpu: %s: %w (a graph of %d kernels)", d.name, driverError("cuGraphLaunch", r), len(now))
	}
	return nil
}

// dropGraphs destroys every instantiated graph; the context must be current.
func (d *device) dropGraphs() error {
	var first error
	for _, x := range d.graphs {
		if r := C.cuGraphExecDestroy(x.(C.CUgraphExec)); r != C.CUDA_SUCCESS && first == nil {
			first = driverError("cuGraphExecDestroy", r)
		}
	}
	d.graphs = nil
	return first
}
