package gemm

// BF16Impls lists the bfloat16 implementations of FusedBF16 this machine and build have, best
// first ("amx-bf16", "avx512-bf16", "neon-bf16"); none means the float32 kernels compute it
// (BF16KernelName).
func BF16Impls() []string {
	var names []string
	for _, im := range archBF16s() {
		names = append(names, im.name())
	}
	return names
}
