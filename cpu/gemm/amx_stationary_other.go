//go:build noasm || !amd64

package gemm

// amxStationaryBytes is the AMX kernels' loop-order threshold (amx_amd64.go); without them it
// is unused, but the bfloat16 tests run every order with it set.
var amxStationaryBytes = 512 << 10
