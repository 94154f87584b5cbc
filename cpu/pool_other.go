//go:build noasm || !amd64

package cpu

// hasPoolAsm is false: no vector pooling in this build.
var hasPoolAsm = false

// maxInto sets dst[i] = max(dst[i], src[i]) for i < len(dst), NaN if either is NaN.
func maxInto(dst, src []float32) { maxIntoGo(dst, src) }

// maxWindow sets out[o] to the maximum of cm[o·sw : o·sw+kw] (NaN if one is NaN).
func maxWindow(out, cm []float32, kw, sw int) { maxWindowGo(out, cm, kw, sw) }
