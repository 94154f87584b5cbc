//go:build !noasm

package cpu

// The vector transforms of winograd_avx512_amd64.s (see winograd_vec.go).

//go:noescape
func winoInAVX512(dst *float32, sxi int, src *float32, ld, n int, edge uint64)

//go:noescape
func winoOutAVX512(out *float32, ldo int, m *float32, sxi int)

//go:noescape
func winoStoreAVX512(dst, src, res *float32, n int, bias float32, relu bool)

// hasWinoAsm: the AVX-512 transforms are built in (they run where gemm's kernel is avx512).
const hasWinoAsm = true
