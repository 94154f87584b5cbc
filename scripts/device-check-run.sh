#!/bin/bash
# run.sh (from scripts/device-check-run.sh): the GPU engine's device check, on a machine with a
# GPU, python3 with PyTorch CUDA and no Go. Run from the device-check folder:
#   ./run.sh [images] [points]        (defaults 4096 and 8; about 3 minutes on an H100)
# It prints first what could stop the binaries from starting (card, driver, glibc), then runs
# every kernel against the CPU layer functions on both kernel paths (the fast kernels and the
# reference ones) in fp32/tf32/bf16, the module loading (cubin vs PTX JIT), a fault injected on
# purpose (a sticky illegal address), the engine conformance suite in all three precisions on both
# paths, the ONNX graphs' suite (every imported operator, vision transformers' attention kernels
# included: TestGraphConformance), a resnet20 scan against the CPU engine (with CUDA graphs, the default, and without), CUDA
# graphs against direct launches (TestCUDAGraphsOnDevice), and resnet56 speed in fp32/tf32/bf16 on both paths
# beside PyTorch, then (budget permitting) torchvision's vit_b_16 at 224x224 beside PyTorch,
# then prints one table. Exit status 1 when a correctness check failed, 2 when
# the binaries cannot run here.
#
# The whole run keeps within DEVICE_CHECK_BUDGET seconds (default 480, under a 10-minute remote
# command): each step's timeout is cut to what is left, a step with under 15 s left is skipped,
# so the final table is always printed. DEVICE_CHECK_LOGS names the folder for the step logs
# (default a fresh temporary one).
set -u
cd "$(dirname "$0")"
N=${1:-4096}
P=${2:-8}
deadline=$((SECONDS + ${DEVICE_CHECK_BUDGET:-480}))
log=${DEVICE_CHECK_LOGS:-$(mktemp -d)}
mkdir -p "$log"
status=0
card=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null) && card=$(echo "$card" | head -1) || card=""
driver=$(nvidia-smi --query-gpu=driver_version,compute_cap --format=csv,noheader 2>/dev/null | head -1)
glibc=$(ldd --version 2>/dev/null | head -1 | grep -o '[0-9]*\.[0-9]*$')
need=$(cat GLIBC_NEEDED 2>/dev/null | sed 's/GLIBC_//')
echo "run.sh: card: ${card:-none found by nvidia-smi}; driver, compute capability: ${driver:-unknown}"
echo "run.sh: glibc here: ${glibc:-unknown}; the cgo binaries (gpu.test, landscape-gpu) need ${need:-unknown}; landscape is static"
[ -x ./gpu.test ] || { echo "run.sh: no gpu.test here: run make -f gpu.mk device-check first"; exit 2; }
if [ -n "$glibc" ] && [ -n "$need" ] && [ "$(printf '%s\n%s\n' "$need" "$glibc" | sort -V | head -1)" != "$need" ]; then
	echo "run.sh: this glibc ($glibc) is older than the $need the binaries were linked against: build them on a"
	echo "run.sh: machine (or container) with glibc <= $glibc, e.g. make device-check in a matching Debian/Ubuntu image"
	exit 2
fi
# The binaries link libcuda.so.1 (the driver's); look in the usual driver folders if the
# loader does not find it.
if ldd ./gpu.test 2>/dev/null | grep -q 'libcuda.so.1 => not found'; then
	for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/cuda/compat; do
		[ -e "$d/libcuda.so.1" ] && export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" && break
	done
fi
ldd ./gpu.test 2>&1 | grep -E 'libcuda|not found' | sed 's/^[[:space:]]*/run.sh: /'
echo "== device check on ${card:-unknown GPU}: $(date -u +%Y-%m-%dT%H:%MZ) =="

step() { # name timeout command...: runs, keeps the output, reports PASS/FAIL
	local name=$1 limit=$2
	shift 2
	local t0=$SECONDS left=$((deadline - SECONDS - 5))
	if [ "$left" -lt 15 ]; then
		echo "run.sh: $name skipped: the run's time budget is spent" >"$log/$name.out"
		echo "-- $name: skipped (budget spent)"
		return 124
	fi
	[ "$limit" -gt "$left" ] && limit=$left
	timeout -k 5 "$limit" "$@" >"$log/$name.out" 2>&1
	local rc=$?
	echo "-- $name: rc=$rc ($((SECONDS - t0)) s)"
	return $rc
}

step kernels 120 ./gpu.test -test.run '^TestKernels$' -test.v || status=1
grep -E '^kernel .*FAIL' "$log/kernels.out"
echo "kernels: $(grep -c '^kernel .* ok$' "$log/kernels.out") ok, $(grep -c '^kernel .* FAIL$' "$log/kernels.out") failed"
grep -E -- '--- FAIL|panic|Error' "$log/kernels.out" | head -20

step modules 60 ./gpu.test -test.run '^TestModuleLoading$' -test.v || status=1
grep -E '^module |FAIL' "$log/modules.out" | sort -u

step fault 60 ./gpu.test -test.run '^TestStickyFault$' -test.v || status=1
grep -E 'fault injected|FAIL|--- ' "$log/fault.out"

step conformance 200 ./gpu.test -test.run '^TestConformance$' -test.v || status=1
grep -E -- '^    --- (PASS|FAIL)' "$log/conformance.out" | head -30
grep -E 'rel err .* >|correct, want' "$log/conformance.out" | head -10

step graphs 120 ./gpu.test -test.run '^TestGraphConformance$' -test.v || status=1
grep -E -- '^    --- (PASS|FAIL)|rel err .* >' "$log/graphs.out" | head -20

step scan20 120 ./gpu.test -test.run '^TestScanResnet20$' -test.v || status=1
grep -E '^scan resnet20|FAIL|Error' "$log/scan20.out"

step speed 200 env LANDSCAPE_SPEED="$N,$P" ./gpu.test -test.run '^TestSpeed$' -test.v
grep -E '^speed |FAIL|Error' "$log/speed.out"

for prec in fp32 tf32 bf16; do
	if [ -f peer/torch_scan.py ]; then
		step "torch-$prec" 90 python3 peer/torch_scan.py --device cuda --model resnet56 --precision "$prec" \
			--channels-last --images "$N" --points "$P"
		grep -E 'img_per_s=' "$log/torch-$prec.out" || tail -3 "$log/torch-$prec.out"
	fi
done

# CUDA graphs after the speed figures: when the budget runs short, the side-by-side table
# beside PyTorch is what must not be skipped.
step cudagraph 90 ./gpu.test -test.run '^TestCUDAGraphsOnDevice$' -test.v || status=1
grep -E '^cudagraph |FAIL|Error|panic' "$log/cudagraph.out"
step scan20-nograph 90 env LANDSCAPE_GPU_GRAPH=0 ./gpu.test -test.run '^TestScanResnet20$' -test.v || status=1
grep -E '^scan resnet20|FAIL|Error' "$log/scan20-nograph.out" | sed 's/^scan/graphs off: scan/'

if [ -x ./landscape ]; then
	step bench-cli 90 ./landscape bench --model resnet56 --device gpu --precision fp32 --images "$N" --points "$P"
	tail -5 "$log/bench-cli.out"
fi

# Vision transformers, last (issue 19): torchvision's vit_b_16 at 224x224 exported here by
# tools/torch_onnx_ref.py (random weights), its speed through `landscape bench --device gpu`
# in each precision beside torch_scan.py --model tv:vit_b_16 (channels-last). Its kernels'
# correctness is the kernels and graphs steps' (attn.cu, bmm.cu on the ViT test graphs).
VN=${VIT_IMAGES:-256}
if [ -x ./landscape ] && [ -f tools/torch_onnx_ref.py ]; then
	step vit-export 90 python3 tools/torch_onnx_ref.py export --net tv:vit_b_16 --seed 3 --hw 224 --opset 13 \
		--onnx "$log/vit_b_16.onnx" --weights "$log/vit_b_16.safetensors"
	for prec in fp32 tf32 bf16; do
		[ -f "$log/vit_b_16.onnx" ] || break
		step "vit-$prec" 90 ./landscape bench --model "$log/vit_b_16.onnx" --device gpu --precision "$prec" --images "$VN" --points 2
		grep -E 'img_per_s=' "$log/vit-$prec.out" || tail -3 "$log/vit-$prec.out"
		if [ -f peer/torch_scan.py ]; then
			step "vit-torch-$prec" 90 python3 peer/torch_scan.py --device cuda --model tv:vit_b_16 --hw 224 --precision "$prec" \
				--channels-last --images "$VN" --points 2
			grep -E 'img_per_s=' "$log/vit-torch-$prec.out" || tail -3 "$log/vit-torch-$prec.out"
		fi
	done
fi

field() { # file key: the value of key=... on the first line that has it
	grep -o "$2=[^ ]*" "$1" 2>/dev/null | head -1 | cut -d= -f2
}
echo
echo "== ${card:-unknown GPU}: resnet56, 32x32 synthetic, $N images x $P points =="
kpass=$(grep -c '^kernel .* ok$' "$log/kernels.out")
kfail=$(grep -c '^kernel .* FAIL$' "$log/kernels.out")
echo "kernels vs cpu layers: $kpass ok, $kfail failed (fast and reference paths, fp32/tf32/bf16)"
echo "module loading:        $(grep -q '^PASS' "$log/modules.out" && echo PASS || echo FAIL) ($(grep -m1 -o 'module .*' "$log/modules.out"))"
echo "sticky fault:          $(grep -q '^PASS' "$log/fault.out" && echo PASS || echo FAIL)"
echo "conformance suite:     $(grep -q '^ok\|^PASS' "$log/conformance.out" && echo PASS || echo FAIL) (fp32/tf32/bf16 x fast/reference)"
echo "ONNX graphs suite:     $(grep -q '^ok\|^PASS' "$log/graphs.out" && echo PASS || echo FAIL) (every imported operator, ViT attention included; fp32/tf32/bf16 x fast/reference)"
grep -E '^scan resnet20' "$log/scan20.out" | sed 's/^/resnet20 scan vs cpu:  /'
echo "CUDA graphs vs direct: $(grep -q '^PASS' "$log/cudagraph.out" && echo PASS || echo FAIL) (resnet20; same sums; scan with graphs off: $(grep -q '^PASS' "$log/scan20-nograph.out" && echo PASS || echo FAIL))"
grep -E '^cudagraph ' "$log/cudagraph.out" | sed 's/^/  /'
# est. 51x51: the paper's ResNet-56 surface, 2601 points x 50,000 CIFAR-10 training images, at this speed
printf '%-9s %-9s %12s %12s %9s %18s %14s %14s\n' precision kernels "ours img/s" "torch img/s" ours/torch "loss rel vs fp32" "ours 51x51 s" "torch 51x51 s"
for row in fp32:fast tf32:fast bf16:fast fp32:reference tf32:reference bf16:reference; do
	prec=${row%%:*} path=${row#*:}
	line=$(grep "^speed precision=$prec kernels=$path " "$log/speed.out")
	ours=$(echo "$line" | grep -o 'img_per_s=[^ ]*' | cut -d= -f2)
	rel=$(echo "$line" | grep -o 'loss_rel_vs_fp32=[^ ]*' | cut -d= -f2)
	torch=$(field "$log/torch-$prec.out" img_per_s)
	ratio=$(awk -v a="${ours:-0}" -v b="${torch:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
	est() { awk -v r="${1:-0}" 'BEGIN { if (r > 0) printf "%.0f", 2601 * 50000 / r; else print "-" }'; }
	printf '%-9s %-9s %12s %12s %9s %18s %14s %14s\n' "$prec" "$path" "${ours:--}" "${torch:--}" "$ratio" "${rel:--}" "$(est "$ours")" "$(est "$torch")"
done
echo "vit_b_16 224x224, $VN images x 2 points (landscape bench --device gpu; torch_scan.py --channels-last):"
for prec in fp32 tf32 bf16; do
	ours=$(field "$log/vit-$prec.out" img_per_s) torch=$(field "$log/vit-torch-$prec.out" img_per_s)
	ratio=$(awk -v a="${ours:-0}" -v b="${torch:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
	printf '  %-5s ours %10s img/s  torch %10s img/s  ours/torch %s\n' "$prec" "${ours:--}" "${torch:--}" "$ratio"
done
echo "logs: $log"
exit $status
