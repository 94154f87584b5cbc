package gpu

import (
	"landscape/kernels"
	"landscape/model"
)

// Halo kernels (kernels/conv_halo.cu): tf32 and bf16 3x3 convolutions that stage each block's input rows
// once per 16-channel block (a halo) and run all 9 taps from shared memory. The constants and the
// geometry below are the kernel's; keep them in step.
const (
	haloKS   = 3   // the kernels' fixed kernel size
	haloBK   = 16  // channels per block: Cin must be a multiple
	haloMax  = 256 // HMAX: halo pixels (rows × padded width) a block's shared memory holds
	haloCout = 32  // row tiles 16 and 32 only
)

// haloRows returns the halo of the block of output pixels n0 … n1−1 of a batch: its input rows
// (q1 − q0)·s + KS + (b1 − b0)·max(0, KS − s), q = b·OH + oh the output rows it touches, and its
// padded width max((OW−1)·s + KS, W + pad).
func haloRows(g model.ConvGeom, n0, n1 int) (rows, width int) {
	q0, q1 := n0/g.OW, (n1-1)/g.OW
	gap := max(0, haloKS-g.Stride)
	rows = (q1-q0)*g.Stride + haloKS + (q1/g.OH-q0/g.OH)*gap
	width = max((g.OW-1)*g.Stride+haloKS, g.W+g.Pad)
	return rows, width
}

// HaloEligible tells whether a tap-major tf32 or bf16 layer of b images runs on the halo kernels: 3x3,
// Cin a multiple of 16, Cout ≤ 32, stride ≤ 3, W a multiple of 4 (16-byte row loads), offsets
// within int32, and every block's halo within haloMax pixels. The input's alignment is checked at
// the launch (haloAligned).
func HaloEligible(g model.ConvGeom, b int) bool {
	if g.K != haloKS || g.Cin%haloBK != 0 || g.Cout > haloCout || g.Stride < 1 || g.Stride > haloKS ||
		g.W%4 != 0 || int64(b)*int64(g.Cin)*int64(g.H)*int64(g.W) >= 1<<31 {
		return false
	}
	npix := b * g.OH * g.OW
	for n0 := 0; n0 < npix; n0 += kernels.ConvPixelTile {
		if rows, width := haloRows(g, n0, min(n0+kernels.ConvPixelTile, npix)); rows*width > haloMax {
			return false
		}
	}
	return true
}

// haloAligned tells whether an input tensor at in, weight set k at k·inSet elements of elem bytes
// (4: float32, 2: bf16), allows the halo kernels' loads of 4 pixels (16 or 8 bytes).
func haloAligned(in ptr, inSet, elem int) bool { return uint64(in)%uint64(4*elem) == 0 && inSet%4 == 0 }
