//go:build noasm || !amd64

package cpu

// hasAxpyAsm is false: no vector axpy in this build (BenchmarkDepthwise reads it).
var hasAxpyAsm = false

// axpy sets dst[i] += a·src[i] for i < len(dst) (src at least as long).
func axpy(dst, src []float32, a float32) { axpyGo(dst, src, a) }
