//go:build noasm || !amd64

package gemm

func archImpls() []*impl { return nil }
