//go:build !noasm && !linux

package gemm

// amxPermission: only Linux is asked for the AMX tile state (arch_prctl, amx_perm_linux_amd64.go);
// elsewhere (macOS, Windows) the AMX kernels are not offered and bf16 runs on AVX512-BF16.
func amxPermission() bool { return false }
