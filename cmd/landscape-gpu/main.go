// Command landscape-gpu is the GPU worker: it serves one engine over stdin/stdout to
// landscape/gpu/remote (protocol in that package), one process per GPU.
//
//	landscape-gpu --device 0              the CUDA engine on GPU 0 (build with -tags cuda: make gpu)
//	landscape-gpu --engine cpu            the CPU reference engine, for testing the protocol
//	                                      on machines without a GPU
//
// It exits with status 4 after answering a fatal device error (a sticky CUDA error such as an
// illegal address leaves the context unusable); the client then starts a fresh worker.
//
// It is started by the landscape binary, not by hand. Built with -tags cuda it links the CUDA
// driver, and gorgonia.org/cu exits the process before main when cuInit fails; the client reads
// that message as the reason there is no GPU.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"landscape/cpu"
	"landscape/engine"
	"landscape/gpu"
	"landscape/gpu/remote"
)

func main() {
	kind := flag.String("engine", "gpu", "engine to serve: gpu or cpu")
	device := flag.Int("device", 0, "CUDA device ordinal")
	cpuDevices := flag.Int("cpu-devices", 1, "with --engine cpu: how many devices to report (protocol tests)")
	flag.Parse()

	hello := remote.Hello{OK: true}
	var open remote.Opener
	switch *kind {
	case "gpu":
		n, err := gpu.Devices()
		switch {
		case err != nil:
			hello = remote.Hello{Error: err.Error()}
		case n == 0:
			hello = remote.Hello{Error: "no CUDA device"}
		case *device < 0 || *device >= n:
			hello = remote.Hello{Error: fmt.Sprintf("no device %d (%d found)", *device, n)}
		default:
			hello.Devices = n
			hello.Name, _ = gpu.DeviceName(*device)
		}
		open = func(p *engine.Problem, precision string) (engine.Engine, error) {
			return gpu.New(p, gpu.Options{Device: *device, Precision: precision})
		}
	case "cpu":
		hello.Devices, hello.Name = *cpuDevices, "cpu"
		open = func(p *engine.Problem, precision string) (engine.Engine, error) {
			if precision != "" && precision != "fp32" && precision != "bf16" {
				return nil, fmt.Errorf("the CPU engine computes in fp32 or bf16, not %s", precision)
			}
			return cpu.NewWith(p, cpu.Options{BF16: precision == "bf16"})
		}
	default:
		hello = remote.Hello{Error: fmt.Sprintf("--engine %q: want gpu or cpu", *kind)}
	}
	if err := remote.Serve(os.Stdin, os.Stdout, hello, *device, open); err != nil {
		fmt.Fprintln(os.Stderr, "landscape-gpu:", err)
		if errors.Is(err, remote.ErrFatal) {
			os.Exit(4) // the device context is lost: the client starts a fresh worker
		}
		os.Exit(2)
	}
	if !hello.OK {
		os.Exit(1)
	}
}
