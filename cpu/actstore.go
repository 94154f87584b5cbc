package cpu

import (
	"landscape/cpu/gemm"
	"landscape/model"
)

// actStore applies a product step's activation (Layer.HasAct) to its output block by block as
// the product finishes them (gemm.Workspace.After), while each block is still in cache, instead
// of in a pass over the whole output afterwards (activateRows): the same function on the same
// values, so the same numbers. In bfloat16 (round) it then rounds the activated values, as the
// step's consumer would in place (Engine.roundFlags), so that the consumer skips its pass.
type actStore struct {
	l     *model.Layer
	out   []float32 // the output rows, ld apart, n floats of each holding results
	ld, n int
	round bool
}

// block activates rows r0..r0+rows-1, columns j0..j0+nc-1 of the output (those that hold
// results: rows below Cout, columns below n).
func (a *actStore) block(r0, rows, j0, nc int) {
	rows = min(r0+rows, a.l.Cout()) - r0
	nc = min(j0+nc, a.n) - j0
	if nc <= 0 || rows <= 0 {
		return
	}
	blk := a.out[r0*a.ld+j0:]
	asm := hasActRowsAsm(a.l.Act)
	if asm { // the block in one call
		activateRowsAsm(a.l.Act, blk, a.ld, blk, a.ld, rows, nc)
	}
	for i := range rows {
		row := blk[i*a.ld:][:nc]
		if !asm {
			activate(a.l.Act, a.l, row, row)
		}
		if a.round {
			gemm.RoundBF16s(row)
		}
	}
}

// storeAct reports whether product step st applies its activation as it stores (every gemm
// product with one, except Winograd's, which activateRows finishes), and if so sets the
// workspace's After to do it on the output out (rows ld apart, n floats of results each)
// until the product is done (clearAct).
func (e *Engine) storeAct(st *step, out []float32, ld, n int) bool {
	if !st.l.HasAct || st.wino || e.unfused {
		return false
	}
	e.act = actStore{l: &st.l, out: out, ld: ld, n: n, round: e.bf16 && st.roundOut}
	if e.actBlock == nil {
		e.actBlock = e.act.block
	}
	e.ws.After = e.actBlock
	return true
}

// clearAct ends storeAct's After and scaleBefore's Before.
func (e *Engine) clearAct() { e.ws.After, e.ws.Before = nil, nil }
