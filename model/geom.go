package model

// ConvGeom is the geometry of one square convolution on one image, as the CPU layer
// functions, the training kernels and the GPU conv kernels all see it: a Cin×H×W input, a
// Cout×OH×OW output, a K×K kernel with stride Stride and zero padding Pad on every side, so
// OH = ⌊(H + 2·Pad − K)/Stride⌋ + 1 (and likewise OW). A linear layer is the 1×1 convolution
// of a 1×1 image whose Cin channels are its input features.
type ConvGeom struct {
	Cin, H, W      int // input
	Cout, OH, OW   int // output
	K, Stride, Pad int
}

// R is the reduction length Cin·K·K: the rows of the im2col matrix, the columns of the
// weight matrix.
func (g ConvGeom) R() int { return g.Cin * g.K * g.K }

// ColSize is the im2col matrix's length in elements: R rows × OH·OW columns.
func (g ConvGeom) ColSize() int { return g.R() * g.OH * g.OW }

// Geom returns the geometry of a conv or linear layer (a linear layer as a 1×1 convolution).
func (l *Layer) Geom() ConvGeom {
	if l.Kind == OpLinear {
		return linearGeom(l.InShape, l.Cout())
	}
	return convGeom(l.InShape, l.OutShape, l.K, l.Stride, l.Pad)
}

// Geom returns the geometry of conv or linear op op of n, read from the shapes of its slots.
func (n *Net) Geom(op Op) ConvGeom {
	in, out := n.Slots[op.In], n.Slots[op.Out]
	if op.Kind == OpLinear {
		return linearGeom(in, out[0])
	}
	return convGeom(in, out, op.K, op.Stride, op.Pad)
}

func convGeom(in, out [3]int, k, stride, pad int) ConvGeom {
	return ConvGeom{Cin: in[0], H: in[1], W: in[2], Cout: out[0], OH: out[1], OW: out[2], K: k, Stride: stride, Pad: pad}
}

func linearGeom(in [3]int, cout int) ConvGeom {
	return ConvGeom{Cin: in[0] * in[1] * in[2], H: 1, W: 1, Cout: cout, OH: 1, OW: 1, K: 1, Stride: 1}
}

// OneByOne reports whether the convolution reads its input directly (1×1, stride 1, no
// padding): the im2col matrix is the input itself.
func (g ConvGeom) OneByOne() bool { return g.K == 1 && g.Stride == 1 && g.Pad == 0 }

// SameSize reports whether the convolution keeps the plane size with stride 1 ("same"
// padding): then row (kh, kw) of the im2col matrix is the input plane shifted by
// (kh−p)·W + kw−p, one contiguous copy, with the rows and columns that fall outside the image
// zeroed.
func (g ConvGeom) SameSize() bool { return g.Stride == 1 && g.OH == g.H && g.OW == g.W }

// Window returns the geometry as a Window: K×K, stride Stride, padding Pad on every side.
func (g ConvGeom) Window() Window {
	return Window{KH: g.K, KW: g.K, SH: g.Stride, SW: g.Stride, DH: 1, DW: 1, PadT: g.Pad, PadL: g.Pad, PadB: g.Pad, PadR: g.Pad}
}
