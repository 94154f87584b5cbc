package gpu

import (
	"fmt"
	"math"

	"landscape/cpu"
	"landscape/kernels"
	"landscape/model"
)

// The op table's rows of the newer imported-graph kernels: every activation code of activate
// (graph.cuh's double-precision formulas against cpu.ActivateLayer's), arith by every operator,
// reversed, by one value, per channel, per element and per element through an index table (one
// float32 operation: exact), layernorm_channels
// (the same double steps as cpu.LayerNormChannels) and gather_channels (a copy: exact), each
// over 2 weight sets with the input of the first shared (set stride 0) or per set.

// extRows returns those rows.
func extRows() []opRow {
	var rows []opRow
	for a := kernels.ActRelu; a < kernels.ActCount; a++ {
		rows = append(rows, opRow{name: "activate " + a.String(), tol: 1e-7, run: func(be backend) (float64, error) { return runActivate(be, a) }})
	}
	for op := kernels.ArithOpAdd; op < kernels.ArithOpCount; op++ {
		for _, rev := range []bool{false, true} {
			for mode := kernels.ArithVecOne; mode < kernels.ArithVecCount; mode++ {
				rows = append(rows, opRow{name: fmt.Sprintf("arith %s rev %t %s", op, rev, mode),
					run: func(be backend) (float64, error) { return runArith(be, op, rev, mode) }})
			}
		}
	}
	rows = append(rows, opRow{name: "layernorm_channels 24ch eps 1e-6", tol: 1e-7, run: runLayerNorm},
		opRow{name: "gather_channels shuffle+slice", run: runGather})
	return append(rows, attnRows()...) // vision transformers' kernels (ops_attn_test.go)
}

// extCase is the shape of the rows: K weight sets of B images of C channels of HW pixels.
const extK, extB, extC, extHW = 2, 3, 24, 7 * 5

// runExt uploads in (one set's input) and vecs, runs launch(in, vec, out), waits and returns
// the K sets' outputs of outLen floats each.
func runExt(be backend, in, vecs []float32, outLen int, launch func(in, vec, out ptr) error) ([]float32, error) {
	dIn, err := upload(be, in)
	if err != nil {
		return nil, err
	}
	dVec, err := upload(be, append(vecs, 0))
	if err != nil {
		return nil, err
	}
	dOut, err := be.alloc(int64(4 * extK * outLen))
	if err != nil {
		return nil, err
	}
	if err := launch(dIn, dVec, dOut); err != nil {
		return nil, err
	}
	if err := waitErr(be); err != nil {
		return nil, err
	}
	got := make([]float32, extK*outLen)
	return got, download(be, got, dOut)
}

func runActivate(be backend, a kernels.Act) (float64, error) {
	const n = extB * extC * extHW
	in := randSlice(n, 3, 21)
	copy(in, []float32{-30, -6, -3, -0.5, 0, 0.5, 3, 6, 30, float32(math.NaN()), float32(math.Copysign(0, -1))})
	l := model.Layer{Lo: -0.5, Hi: 2, Alpha: 0.2, Beta: 0.4}
	got, err := runExt(be, in, nil, n, func(in, _, out ptr) error {
		return launchActivate(be, kActivate, dim{3, 1, extK}, dim{64, 1, 1}, activateArgs{In: in, Out: out, N: n, Act: cint(a),
			Lo: l.Lo, Hi: l.Hi, Alpha: l.Alpha, Beta: l.Beta})
	})
	if err != nil {
		return 0, err
	}
	want := make([]float32, n)
	for kind, c := range actCodes {
		if c == a {
			cpu.ActivateLayer(kind, &l, want, in)
		}
	}
	return relErr(got, f64(append(want, want...))), nil
}

// runArith runs arith with an operand of one value, one per channel, one per element,
// pixel-major, or one per element read through an index table (ArithVecGathered: a relative
// position bias, a table of 5 values each read many times).
func runArith(be backend, op kernels.ArithOp, rev bool, mode kernels.ArithVec) (float64, error) {
	const n, wSet = extB * extC * extHW, extC*extHW + 1
	in, vecs := randSlice(extK*n, 2, 22), randSlice(extK*wSet, 1, 23)
	index := make([]int32, extC*extHW)
	for e := range index {
		index[e] = int32((e*3 + e/4) % 5)
	}
	dIndex, err := upload(be, index)
	if err != nil {
		return 0, err
	}
	got, err := runExt(be, in, vecs, n, func(in, vec, out ptr) error {
		return launchArith(be, kArith, dim{5, 1, extK}, dim{64, 1, 1}, arithArgs{In: in, InSetStride: n, Vec: vec, WSetStride: wSet,
			VecMode: cint(mode), Index: dIndex, Out: out, B: extB, C: extC, HW: extHW, Op: cint(op), Rev: cint(b2i(rev))})
	})
	if err != nil {
		return 0, err
	}
	sym := "+-*/"[op]
	want := make([]float32, extK*n)
	for k := range extK {
		for p := range extB * extC {
			at := k*n + p*extHW
			for i := range extHW {
				v := vecs[k*wSet]
				switch mode {
				case kernels.ArithVecChannel:
					v = vecs[k*wSet+p%extC]
				case kernels.ArithVecPixel:
					v = vecs[k*wSet+i*extC+p%extC]
				case kernels.ArithVecGathered:
					v = vecs[k*wSet+int(index[i*extC+p%extC])]
				}
				cpu.Arith(want[at+i:at+i+1], in[at+i:at+i+1], sym, v, rev)
			}
		}
	}
	return relErr(got, f64(want)), nil
}

func runLayerNorm(be backend) (float64, error) {
	const n, wSet, eps = extB * extC * extHW, 2*extC + 3, 1e-6
	in, vecs := randSlice(n, 3, 24), randSlice(extK*wSet, 1, 25)
	got, err := runExt(be, in, vecs, n, func(in, vec, out ptr) error {
		return launchLayernormChannels(be, kLayernormChannels, dim{2, 1, extK}, dim{32, 1, 1}, layernormChannelsArgs{In: in,
			Gamma: vec, Beta: vec + 4*extC, WSetStride: wSet, Out: out, B: extB, C: extC, HW: extHW, Eps: eps})
	})
	if err != nil {
		return 0, err
	}
	want := make([]float32, extK*n)
	for k := range extK {
		for b := range extB {
			at := b * extC * extHW
			cpu.LayerNormChannels(want[k*n+at:], in[at:], extC, extHW, extHW, extHW, vecs[k*wSet:][:extC], vecs[k*wSet+extC:][:extC], eps)
		}
	}
	return relErr(got, f64(want)), nil
}

func runGather(be backend) (float64, error) {
	const n = extB * extC * extHW
	perm := make([]int32, 0, extC+extC/3)
	for j := range extC { // a channel shuffle of 2 groups, then every third channel
		perm = append(perm, int32(j%2*extC/2+j/2))
	}
	for j := 0; j < extC; j += 3 {
		perm = append(perm, int32(j))
	}
	c := len(perm)
	in := randSlice(extK*n, 1, 26)
	dPerm, err := upload(be, perm)
	if err != nil {
		return 0, err
	}
	got, err := runExt(be, in, nil, extB*c*extHW, func(in, _, out ptr) error {
		return launchGatherChannels(be, kGatherChannels, dim{4, 1, extK}, dim{64, 1, 1}, gatherChannelsArgs{In: in, InSetStride: n,
			Perm: dPerm, Out: out, B: extB, Cin: extC, C: cint(c), HW: extHW})
	})
	if err != nil {
		return 0, err
	}
	want := make([]float32, 0, len(got))
	for k := range extK {
		for b := range extB {
			for _, j := range perm {
				want = append(want, in[k*n+(b*extC+int(j))*extHW:][:extHW]...)
			}
		}
	}
	return relErr(got, f64(want)), nil
}
