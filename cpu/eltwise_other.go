//go:build noasm || !amd64

package cpu

// hasEltAsm is false: no vector element-wise kernels in this build.
var hasEltAsm = false

// activateAsm reports false: ActivateLayer computes every kind in this build.
func activateAsm(kind kindParams, dst, src []float32) bool { return false }

// addRow sets dst[i] = a[i] + b[i] for i < len(dst).
func addRow(dst, a, b []float32) { addRowGo(dst, a, b) }

// mulRow sets dst[i] = a[i] · b[i] for i < len(dst).
func mulRow(dst, a, b []float32) { mulRowGo(dst, a, b) }

// scaleRow sets dst[i] = src[i] · f for i < len(dst).
func scaleRow(dst, src []float32, f float32) { scaleRowGo(dst, src, f) }

// sumRow returns Σ float64(src[i]).
func sumRow(src []float32) float64 { return sumRowGo(src) }
