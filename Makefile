# landscape — loss landscapes of neural networks.
#   make build   bin/landscape (pure Go, CGO_ENABLED=0, no CUDA needed)
#   make test    every test (installs PyTorch and Fashion-MNIST first when missing and possible)
#   make bench   CPU speed beside PyTorch's (../shared/peer/torch_scan.py) in one run
#   make fuzz    every fuzz target (func FuzzXxx) for FUZZTIME each (default 30s): scripts/fuzz.sh
#   make release bin/release/landscape-OS-ARCH for linux, macOS and Windows, with SHA256SUMS
# GPU targets (gpu, kernels, kernels-check, vet-cuda, device-check) are in gpu.mk.

GO      ?= go
PYTHON  ?= /usr/bin/python3
PEER    ?= ../shared/peer

.PHONY: build test deps bench clean fuzz
.PHONY: release test-arm64

build:
	CGO_ENABLED=0 $(GO) build -o bin/landscape ./cmd/landscape

deps:
	./scripts/deps.sh

test: deps
	$(GO) vet ./...
	$(GO) test -timeout 45m ./...   # cmd/landscape runs every torchvision CNN beside PyTorch (TestTorchvisionONNX)
	$(GO) test -timeout 10m -tags noasm ./cpu/...

bench: build deps
	./scripts/bench-cpu.sh

FUZZTIME ?= 30s
fuzz:
	FUZZTIME=$(FUZZTIME) GO=$(GO) ./scripts/fuzz.sh

release:
	GO=$(GO) ./scripts/release.sh

# The arm64 build (NEON kernels) under qemu-aarch64-static: cpu, model, a scan against amd64's.
test-arm64:
	GO=$(GO) ./scripts/test-arm64.sh

clean:
	rm -rf bin demo-out device-check

-include gpu.mk

# The demo: trains small networks on Fashion-MNIST (or a built-in synthetic set), scans and plots
# them, and writes demo-out/report.md. Under 5 minutes on 2 cores.
.PHONY: demo
demo: build
	-./scripts/deps.sh --data
	./scripts/demo.sh
	./scripts/demo-view.sh
