//go:build noasm || !amd64

package gemm

// amxStationaryBytes is the AMX kernels' loop-order threshold (amx_amd64.go); without them it
// is unused, but the bfloat16 tests run every order with it set.
var amxStationaryBytes = 512 << 10

// fusedTiledArch is FusedBF16Tiled's AMX kernel (amx_amd64.go); here there is none.
func fusedTiledArch(*Workspace, *BF16Weights, int, *Tiled, *tileEpilogue) bool { return false }

// tileGrids reports whether im stores pairs into a Grid itself: no implementation here does.
func tileGrids(bf16Impl) bool { return false }

// fusedGrid is never called here (tileGrids).
func fusedGrid(*Workspace, *BF16Weights, int, *Gathered, *Paired, *tileEpilogue) {
	panic("gemm: no tile kernels")
}
