//go:build noasm || !amd64

package gemm

func archBF16() bf16Impl { return nil }
