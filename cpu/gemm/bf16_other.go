//go:build noasm || !(amd64 || arm64)

package gemm

func archBF16s() []bf16Impl { return nil }
