# gpu.mk: the GPU side of the build, included by the main Makefile (or run as make -f gpu.mk T).
#
#   kernels        compile kernels/*.cu to the committed kernels/ptx/*.ptx (needs nvcc 11.8) and
#                  those to kernels/cubin/*.sm_80.cubin and *.sm_90.cubin (ptxas 11.8)
#   kernels-check  recompile into a temporary folder, fail if any committed PTX or cubin differs,
#                  and print ptxas -arch=sm_90 register/spill figures for every kernel
#   sass-report    per kernel: registers, shared memory, blocks/SM, main-loop instructions per
#                  MMA/FFMA, and the issue-limited ResNet-56 estimate on an H100 (scripts/sass-report.py)
#   kernels-emu    run every kernel on the host (kernels/emu) against reference loops
#   gpu            bin/landscape-gpu with -tags cuda (cgo, cuda.h, libcuda.so)
#   vet-cuda       go vet -tags cuda ./...
#   device-check   device-check/: test binary, worker, peer scripts and run.sh for a GPU machine

# Included before or after the main Makefile's first target, this file leaves its default goal alone.
gpu_mk_default_goal := $(.DEFAULT_GOAL)

GO ?= go
NVCC ?= nvcc
PTXAS ?= ptxas
CXX_EMU ?= g++

# -arch=compute_80: the tensor-core kernels use mma.sync .tf32/.bf16, which needs sm_80 or later;
# PTX (not SASS) for compute_80 is JIT-compiled by the driver for the GPU it runs on, Hopper
# (sm_90) included, so one committed PTX serves A100, H100 and H200. nvcc 11.8 emits PTX ISA 7.8,
# which drivers from 520 on accept.
NVCC_FLAGS := -arch=compute_80 -ptx -O3 -std=c++17 -Ikernels
CU_SOURCES := $(sort $(wildcard kernels/*.cu))
CU_HEADERS := $(wildcard kernels/*.cuh)
PTX_FILES := $(patsubst kernels/%.cu,kernels/ptx/%.ptx,$(CU_SOURCES))
# Cubins (SASS) for A100-class (sm_80; also runs on sm_86/sm_89) and H100/H200 (sm_90), assembled
# by ptxas from the committed PTX, so that a worker on those cards loads machine code without the
# driver's JIT, and runs the same code the PTX fallback would give. ptxas 11.8's output is
# byte-reproducible (same PTX, same flags: same bytes), so kernels-check compares them exactly.
CUBIN_ARCHS := sm_80 sm_90
PTXAS_FLAGS := -O3
CUBIN_FILES := $(foreach a,$(CUBIN_ARCHS),$(patsubst kernels/%.cu,kernels/cubin/%.$(a).cubin,$(CU_SOURCES)))

.PHONY: kernels kernels-check kernels-emu gpu vet-cuda device-check sass-report

kernels: $(PTX_FILES) $(CUBIN_FILES)

kernels/ptx/%.ptx: kernels/%.cu $(CU_HEADERS)
	@mkdir -p kernels/ptx
	$(NVCC) $(NVCC_FLAGS) $< -o $@

kernels/cubin/%.sm_80.cubin: kernels/ptx/%.ptx
	@mkdir -p kernels/cubin
	$(PTXAS) $(PTXAS_FLAGS) -arch=sm_80 $< -o $@

kernels/cubin/%.sm_90.cubin: kernels/ptx/%.ptx
	@mkdir -p kernels/cubin
	$(PTXAS) $(PTXAS_FLAGS) -arch=sm_90 $< -o $@

sass-report:
	python3 scripts/sass-report.py

kernels-check:
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; status=0; \
	for src in $(CU_SOURCES); do \
	  n=$$(basename $$src .cu); \
	  $(NVCC) $(NVCC_FLAGS) $$src -o $$tmp/$$n.ptx; \
	  if ! cmp -s $$tmp/$$n.ptx kernels/ptx/$$n.ptx; then \
	    echo "kernels/ptx/$$n.ptx differs from $$src compiled now: run make kernels and commit"; status=1; \
	  fi; \
	  for a in $(CUBIN_ARCHS); do \
	    $(PTXAS) $(PTXAS_FLAGS) -arch=$$a $$tmp/$$n.ptx -o $$tmp/$$n.$$a.cubin; \
	    if ! cmp -s $$tmp/$$n.$$a.cubin kernels/cubin/$$n.$$a.cubin; then \
	      echo "kernels/cubin/$$n.$$a.cubin differs from $$src assembled now: run make kernels and commit"; status=1; \
	    fi; \
	  done; \
	done; \
	for f in kernels/ptx/*.ptx kernels/cubin/*.cubin; do \
	  n=$$(basename $$f); n=$${n%%.*}; \
	  [ -f kernels/$$n.cu ] || { echo "$$f has no source"; status=1; }; \
	done; \
	for n in $$(cd $$tmp && ls *.ptx); do \
	  $(PTXAS) -arch=sm_90 -v $$tmp/$$n -o /dev/null 2>&1 | awk -v f=$$n ' \
	    /Compiling entry function/ { k = $$7; gsub(/\047/, "", k) } \
	    /spill stores/ { sp = $$5 " B spill stores, " $$9 " B spill loads" } \
	    /Used [0-9]+ registers/ { sm = ($$7 == "") ? 0 : $$7; \
	      printf "%-16s %-16s %4s registers  %6s B smem  %s\n", f, k, $$5, sm, sp }'; \
	done; \
	exit $$status

EMU_DIR := $(or $(TMPDIR),/tmp)/landscape-kernels-emu
# Link this tree's kernels only: EMU_DIR may hold objects of other checkouts' .cu files.
EMU_OBJS = $(patsubst kernels/%.cu,$(EMU_DIR)/%.o,$(CU_SOURCES))
kernels-emu:
	@mkdir -p $(EMU_DIR)
	@for src in $(CU_SOURCES); do \
	  $(CXX_EMU) -std=c++20 -O2 -ffp-contract=off -fno-strict-aliasing -DLS_EMULATE -Ikernels -x c++ -c $$src -o $(EMU_DIR)/$$(basename $$src .cu).o || exit 1; \
	done
	$(CXX_EMU) -std=c++20 -O2 -ffp-contract=off -fno-strict-aliasing -Ikernels -pthread $(EMU_OBJS) kernels/emu/emu.cpp kernels/emu/emu_test.cpp -o $(EMU_DIR)/emu_test
	$(EMU_DIR)/emu_test
	$(CXX_EMU) -std=c++20 -O2 -ffp-contract=off -fno-strict-aliasing -Ikernels -pthread $(EMU_OBJS) kernels/emu/emu.cpp kernels/emu/emu_graph_test.cpp -o $(EMU_DIR)/emu_graph_test
	$(EMU_DIR)/emu_graph_test
	$(CXX_EMU) -std=c++20 -O2 -ffp-contract=off -fno-strict-aliasing -Ikernels -pthread $(EMU_OBJS) kernels/emu/emu.cpp kernels/emu/emu_attn_test.cpp -o $(EMU_DIR)/emu_attn_test
	$(EMU_DIR)/emu_attn_test

# The cuda build links libcuda.so: the driver's on a GPU machine, here the one Debian's
# nvidia-cuda-toolkit pulls in (/usr/lib/x86_64-linux-gnu/libcuda.so), found by gorgonia.org/cu's
# own cgo flags. The binary runs only where a driver is installed.
gpu:
	@mkdir -p bin
	CGO_ENABLED=1 $(GO) build -tags cuda -o bin/landscape-gpu ./cmd/landscape-gpu

vet-cuda:
	CGO_ENABLED=1 $(GO) vet -tags cuda ./...

device-check: gpu
	scripts/device-check-prepare.sh

.DEFAULT_GOAL := $(gpu_mk_default_goal)
