//go:build noasm || !amd64

package cpu

// hasWinoAsm is false: no vector Winograd transforms in this build.
const hasWinoAsm = false

func winoInAVX512(dst *float32, sxi int, src *float32, ld, n int, edge uint64) {
	panic("cpu: winoInAVX512 without AVX-512")
}

func winoOutAVX512(out *float32, ldo int, m *float32, sxi int) {
	panic("cpu: winoOutAVX512 without AVX-512")
}

func winoStoreAVX512(dst, src, res *float32, n int, bias float32, relu bool) {
	panic("cpu: winoStoreAVX512 without AVX-512")
}
