package train

import (
	"math"

	"landscape/cpu"
	"landscape/engine"
	"landscape/model"
)

// The layer kernels below work on batch activations laid out [C][B][P] (P = H·W pixels of one
// image's channel plane): element (c, n, p) at index (c·B + n)·P + p. Forward kernels overwrite
// their outputs; backward kernels add into the gradients they produce (a slot read by two
// layers, like a residual block's input, sums both contributions), except where noted.

// convForward computes images lo … lo+n−1 of a convolution,
//
//	out[co][n][p] = b[co] + Σ_r w[co][r]·col[r][n·OH·OW + p],   r = (ci·K+kh)·K+kw,
//
// as one matrix product w [Cout × Cin·K·K] · col. b may be nil; col is scratch of
// Cin·K·K·n·OH·OW elements (unused for 1×1 stride-1 convolutions, which read in directly).
func convForward[T Float](out, in, w, b []T, g model.ConvGeom, B, lo, n int, col []T) {
	op, k := g.OH*g.OW, g.Cin*g.K*g.K
	dst := out[lo*op:]
	if g.OneByOne() {
		matmul(false, false, g.Cout, n*op, k, 1, w, k, in[lo*op:], B*op, 0, dst, B*op)
	} else {
		cpu.Im2col(col, in, g, B, lo, n)
		matmul(false, false, g.Cout, n*op, k, 1, w, k, col, n*op, 0, dst, B*op)
	}
	if b != nil {
		for co, bc := range b {
			row := dst[co*B*op:][:n*op]
			for i := range row {
				row[i] += bc
			}
		}
	}
}

// convBackward accumulates the gradients of a convolution over images lo … lo+n−1 given
// dOut = ∂L/∂out:
//
//	dW += dOut · colᵀ,   db[co] += Σ dOut[co],   dIn += cpu.Col2im(wᵀ · dOut).
//
// db and dIn may be nil (no bias; the input needs no gradient). col and dcol are scratch like
// convForward's col. For a same-size convolution wflip (flipWeights of w) may be given: then
// dIn is computed as the convolution of dOut with the flipped, transposed kernels — im2col of
// dOut and one product added straight into dIn, cheaper than col2im's scattered adds — and
// dcol must hold Cout·K·K·n·OH·OW elements.
func convBackward[T Float](dW, db, dIn, dOut, in, w, wflip []T, g model.ConvGeom, B, lo, n int, col, dcol []T) {
	op, k := g.OH*g.OW, g.Cin*g.K*g.K
	dy := dOut[lo*op:]
	src, ldSrc := in[lo*op:], B*op
	if !g.OneByOne() {
		cpu.Im2col(col, in, g, B, lo, n)
		src, ldSrc = col, n*op
	}
	matmul(false, true, g.Cout, k, n*op, 1, dy, B*op, src, ldSrc, 1, dW, k)
	if db != nil {
		for co := range db {
			var s T
			for _, v := range dy[co*B*op:][:n*op] {
				s += v
			}
			db[co] += s
		}
	}
	switch {
	case dIn == nil:
	case g.OneByOne():
		matmul(true, false, k, n*op, g.Cout, 1, w, k, dy, B*op, 1, dIn[lo*op:], B*op)
	case wflip != nil && g.SameSize():
		t := flipGeom(g)
		cpu.Im2col(dcol, dOut, t, B, lo, n)
		kt := t.Cin * t.K * t.K
		matmul(false, false, t.Cout, n*op, kt, 1, wflip, kt, dcol, n*op, 1, dIn[lo*op:], B*op)
	default:
		matmul(true, false, k, n*op, g.Cout, 1, w, k, dy, B*op, 0, dcol, n*op)
		cpu.Col2im(dIn, dcol, g, B, lo, n)
	}
}

// flipGeom is the geometry of the backward pass of a same-size convolution as a convolution:
// from Cout channels to Cin, with the same kernel size and padding.
func flipGeom(g model.ConvGeom) model.ConvGeom {
	return model.ConvGeom{Cin: g.Cout, H: g.OH, W: g.OW, Cout: g.Cin, OH: g.H, OW: g.W, K: g.K, Stride: 1, Pad: g.Pad}
}

// flipWeights sets wf[ci][co][kh][kw] = w[co][ci][K−1−kh][K−1−kw]: the kernels that map
// ∂L/∂out to ∂L/∂in of a stride-1 convolution with "same" padding, as a convolution.
func flipWeights[T Float](wf, w []T, g model.ConvGeom) {
	kk := g.K * g.K
	for co := range g.Cout {
		for ci := range g.Cin {
			src := w[(co*g.Cin+ci)*kk:][:kk]
			dst := wf[(ci*g.Cout+co)*kk:][:kk]
			for j := range kk {
				dst[j] = src[kk-1-j]
			}
		}
	}
}

// bnForward normalises channels lo … hi−1 of x ([C][M], M = B·P values per channel) by their
// batch statistics, as batch norm does in training mode:
//
//	μ = mean(x_c),  σ² = mean((x_c − μ)²) (biased),  y = γ·(x − μ)/√(σ² + ε) + β (ε the node's own, model.Op.BNEpsilon),
//
// followed by a ReLU when reLU is set, and stores μ and 1/√(σ²+ε) for the backward pass. With runMean != nil it also updates the
// running statistics with momentum m = 0.1 and the unbiased variance σ²·M/(M−1):
// run ← (1−m)·run + m·stat. Sums are accumulated in float64.
func bnForward[T Float](y, x, gamma, beta []T, mean, invstd []float64, runMean, runVar []T, eps float64, M, lo, hi int, reLU bool) {
	const m = 0.1
	for c := lo; c < hi; c++ {
		xs, ys := x[c*M:][:M], y[c*M:][:M]
		// one pass: Σx and Σx² in float64 (the cancellation in Σx²/M − μ² costs ~1e-16·μ²/σ²)
		var s, s2 float64
		for _, v := range xs {
			f := float64(v)
			s += f
			s2 += f * f
		}
		mu := s / float64(M)
		q := max(0, s2-s*mu) // Σ(x − μ)²
		v := q / float64(M)
		is := 1 / math.Sqrt(v+eps)
		mean[c], invstd[c] = mu, is
		a := float64(gamma[c]) * is
		sc, sh := T(a), T(float64(beta[c])-mu*a)
		if reLU {
			for i, xv := range xs {
				ys[i] = max(xv*sc+sh, 0)
			}
		} else {
			for i, xv := range xs {
				ys[i] = xv*sc + sh
			}
		}
		if runMean != nil {
			unbiased := v
			if M > 1 {
				unbiased = q / float64(M-1)
			}
			runMean[c] = T((1-m)*float64(runMean[c]) + m*mu)
			runVar[c] = T((1-m)*float64(runVar[c]) + m*unbiased)
		}
	}
}

// bnBackward accumulates batch norm's gradients for channels lo … hi−1, with x̂ = (x−μ)·s,
// s = 1/√(σ²+ε) and M values per channel:
//
//	dβ += Σ dy,  dγ += Σ dy·x̂,  dx += γ·s·(dy − Σdy/M − x̂·Σ(dy·x̂)/M).
func bnBackward[T Float](dx, dGamma, dBeta, dy, x, gamma []T, mean, invstd []float64, M, lo, hi int) {
	for c := lo; c < hi; c++ {
		xs, dys := x[c*M:][:M], dy[c*M:][:M]
		mu, is := mean[c], invstd[c]
		var sdy, sdyx float64
		for i, g := range dys {
			sdy += float64(g)
			sdyx += float64(g) * (float64(xs[i]) - mu) * is
		}
		dBeta[c] += T(sdy)
		dGamma[c] += T(sdyx)
		if dx == nil {
			continue
		}
		k := float64(gamma[c]) * is
		mdy, mdyx := sdy/float64(M), sdyx/float64(M)*is
		dxs := dx[c*M:][:M]
		for i, g := range dys {
			dxs[i] += T(k * (float64(g) - mdy - (float64(xs[i])-mu)*mdyx))
		}
	}
}

// relu sets y = max(x, 0) (NaN stays NaN, as in PyTorch). y may be x.
func relu[T Float](y, x []T) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = max(v, 0) // branch-free
	}
}

// reluBackward adds dy where the output y is positive: dx += dy·[y > 0].
func reluBackward[T Float](dx, dy, y []T) {
	if y32, ok := any(y).([]float32); ok {
		reluBackward32(any(dx).([]float32), any(dy).([]float32), y32)
		return
	}
	for i, v := range y {
		if v > 0 {
			dx[i] += dy[i]
		}
	}
}

// reluMask zeroes dy where the ReLU output y is not positive: reluBackward in place.
func reluMask[T Float](dy, y []T) {
	if y32, ok := any(y).([]float32); ok {
		reluMask32(any(dy).([]float32), y32)
		return
	}
	for i, v := range y {
		if !(v > 0) {
			dy[i] = 0
		}
	}
}

func reluMask32(dy, y []float32) {
	dy = dy[:len(y)]
	for i, v := range y {
		u := int32(math.Float32bits(v))
		m := uint32(^((u - 1) | (0x7f800000 - u)) >> 31)
		dy[i] = math.Float32frombits(math.Float32bits(dy[i]) & m)
	}
}

// reluBackward32 is reluBackward without branches (the signs of y are random, so a branch
// mispredicts half the time): dy is masked by bits that are all ones exactly when
// 0 < bits(y) ≤ bits(+Inf) as signed integers, that is when y > 0.
func reluBackward32(dx, dy, y []float32) {
	dx, dy = dx[:len(y)], dy[:len(y)]
	for i, v := range y {
		u := int32(math.Float32bits(v))
		m := uint32(^((u - 1) | (0x7f800000 - u)) >> 31)
		dx[i] += math.Float32frombits(math.Float32bits(dy[i]) & m)
	}
}

// add sets y = a + b, or y = max(a + b, 0) with reLU.
func add[T Float](y, a, b []T, reLU bool) {
	a, b = a[:len(y)], b[:len(y)]
	if reLU {
		for i := range y {
			y[i] = max(a[i]+b[i], 0)
		}
		return
	}
	for i := range y {
		y[i] = a[i] + b[i]
	}
}

// accumulate adds dy to dx (the backward pass of each operand of an addition).
func accumulate[T Float](dx, dy []T) {
	for i, v := range dy {
		dx[i] += v
	}
}

// maxPool takes the maximum over K×K windows with stride K in ceil mode (edge windows cover
// only the part inside), for planes lo … hi−1 of in ([planes][H·W]); out is
// [planes][⌈H/K⌉·⌈W/K⌉] and arg receives the index in its plane of each maximum: the first
// one in row-major window order, or the first NaN, as PyTorch picks.
func maxPool[T Float](out, in []T, arg []int32, h, w, k, lo, hi int) {
	oh, ow := (h+k-1)/k, (w+k-1)/k
	for pl := lo; pl < hi; pl++ {
		plane := in[pl*h*w:][:h*w]
		for y := range oh {
			for x := range ow {
				best := y*k*w + x*k
				m := plane[best]
				for i := y * k; i < min(y*k+k, h); i++ {
					for j := x * k; j < min(x*k+k, w); j++ {
						if v := plane[i*w+j]; (v > m || v != v) && m == m {
							m, best = v, i*w+j
						}
					}
				}
				o := (pl*oh+y)*ow + x
				out[o], arg[o] = m, int32(best)
			}
		}
	}
}

// maxPoolBackward routes each output gradient to its window's maximum: dIn[arg] += dOut.
func maxPoolBackward[T Float](dIn, dOut []T, arg []int32, h, w, k, lo, hi int) {
	n := ((h + k - 1) / k) * ((w + k - 1) / k)
	for pl := lo; pl < hi; pl++ {
		d := dIn[pl*h*w:][:h*w]
		for o := pl * n; o < (pl+1)*n; o++ {
			d[arg[o]] += dOut[o]
		}
	}
}

// avgPool sets out[pl] to the mean of plane pl of in ([planes][P]) for planes lo … hi−1,
// accumulated in float64.
func avgPool[T Float](out, in []T, P, lo, hi int) {
	for pl := lo; pl < hi; pl++ {
		var s float64
		for _, v := range in[pl*P:][:P] {
			s += float64(v)
		}
		out[pl] = T(s / float64(P))
	}
}

// avgPoolBackward spreads each plane's gradient evenly: dIn[pl][p] += dOut[pl]/P.
func avgPoolBackward[T Float](dIn, dOut []T, P, lo, hi int) {
	for pl := lo; pl < hi; pl++ {
		g := dOut[pl] / T(P)
		for i := range dIn[pl*P:][:P] {
			dIn[pl*P+i] += g
		}
	}
}

// linearForward computes out[o][n] = b[o] + Σ_f w[o][f]·x_n[f] for images lo … lo+cnt−1, where
// image n's flattened input x_n[c·P+p] = in[c][n][p] (PyTorch's flatten order) and out is
// [O][B]. For P = 1 this is one product w · in; otherwise one per channel.
func linearForward[T Float](out, in, w, b []T, C, P, O, B, lo, cnt int) {
	F := C * P
	dst := out[lo:]
	if P == 1 {
		matmul(false, false, O, cnt, C, 1, w, C, in[lo:], B, 0, dst, B)
	} else {
		for c := range C {
			beta := T(1)
			if c == 0 {
				beta = 0
			}
			matmul(false, true, O, cnt, P, 1, w[c*P:], F, in[(c*B+lo)*P:], P, beta, dst, B)
		}
	}
	for o, bo := range b {
		row := dst[o*B:][:cnt]
		for i := range row {
			row[i] += bo
		}
	}
}

// linearBackward accumulates, for images lo … lo+cnt−1 and dy = ∂L/∂out ([O][B]):
//
//	dW[o][c·P+p] += Σ_n dy[o][n]·in[c][n][p],  db[o] += Σ_n dy[o][n],
//	dIn[c][n][p] += Σ_o w[o][c·P+p]·dy[o][n]   (skipped when dIn is nil).
func linearBackward[T Float](dW, db, dIn, dy, in, w []T, C, P, O, B, lo, cnt int) {
	F := C * P
	g := dy[lo:]
	for o := range O {
		var s T
		for _, v := range g[o*B:][:cnt] {
			s += v
		}
		db[o] += s
	}
	if P == 1 {
		matmul(false, true, O, C, cnt, 1, g, B, in[lo:], B, 1, dW, C)
		if dIn != nil {
			matmul(true, false, C, cnt, O, 1, w, C, g, B, 1, dIn[lo:], B)
		}
		return
	}
	for c := range C {
		matmul(false, false, O, P, cnt, 1, g, B, in[(c*B+lo)*P:], P, 1, dW[c*P:], F)
		if dIn != nil {
			matmul(true, false, cnt, P, O, 1, g, B, w[c*P:], F, 1, dIn[(c*B+lo)*P:], P)
		}
	}
}

// crossEntropy computes, for images lo … hi−1 of logits ([K][B]), the loss
// −log softmax(z_n)[label_n] and whether the first largest logit is the label
// (engine.CrossEntropy, through engine.Softmax); with dz != nil it sets
// dz[k][n] = scale·(softmax(z_n)[k] − [k = label_n]), the gradient of scale·Σ_n loss_n.
func crossEntropy[T Float](dz, z []T, labels []int32, K, B, lo, hi int, scale float64) (loss float64, correct int) {
	p, zn := make([]float64, K), make([]T, K)
	for n := lo; n < hi; n++ {
		for k := range K {
			zn[k] = z[k*B+n]
		}
		lse, best := engine.Softmax(p, zn)
		y := int(labels[n])
		loss += lse - float64(zn[y])
		if best == y {
			correct++
		}
		if dz != nil {
			for k := range K {
				g := p[k]
				if k == y {
					g--
				}
				dz[k*B+n] = T(scale * g)
			}
		}
	}
	return loss, correct
}
