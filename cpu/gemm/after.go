package gemm

// afterCols is how many columns of C the fused products finish before they call
// Workspace.After on them: enough that the calls cost little, few enough that the block
// (m rows of afterCols floats: 144 KiB for 144 rows) is still in L2 when After reads it.
const afterCols = 256

// afterBlocks batches the calls of a Workspace's After over the column panels of one product:
// each panel that finishes (all of rows r0..r0+rows-1 stored) calls panel, which hands the
// columns finished since the last call to After once afterCols have gathered, or at the end.
// With round (FusedBF16W on the float32 kernels) it first rounds those columns of C (ldc) to
// bfloat16, as the tile kernels do in their store.
type afterBlocks struct {
	f        func(r0, rows, j0, n int)
	r0, rows int
	done     int // the first column not yet handed to f
	round    bool
	c        []float32
	ldc      int
}

// panel records that every column below j is final (end: the last panel of these rows).
func (a *afterBlocks) panel(j int, end bool) {
	if a.f == nil && !a.round || j-a.done < afterCols && !end || j <= a.done {
		return
	}
	if a.round {
		for i := a.r0; i < a.r0+a.rows; i++ {
			RoundBF16s(a.c[i*a.ldc+a.done : i*a.ldc+j])
		}
	}
	if a.f != nil {
		a.f(a.r0, a.rows, a.done, j-a.done)
	}
	a.done = j
}
