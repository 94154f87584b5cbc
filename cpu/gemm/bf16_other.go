//go:build noasm || !(amd64 || arm64)

package gemm

func archBF16s() []bf16Impl { return nil }

// amxStationaryBytes is unused without the tile kernels (the tests set it).
var amxStationaryBytes = 512 << 10
