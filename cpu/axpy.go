package cpu

// axpyGo is axpy in Go: dst[i] += a·src[i] for i < len(dst).
func axpyGo(dst, src []float32, a float32) {
	src = src[:len(dst)]
	for i, s := range src {
		dst[i] += a * s
	}
}
