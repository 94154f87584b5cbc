package cpu

import "landscape/model"

// squareWindow returns convolution l with K, Stride and Pad set (the fields newStep's shifted
// rows and phase planes read) where the importer left them unset but the window is square with
// symmetric padding and either
//   - grouped but not depthwise, without dilation (model.Window.Square; the importer sets them
//     only for ungrouped convolutions), so that its groups' products read the rows an ungrouped
//     convolution of its shape would (groupconv.go); or
//   - dilated at stride 1 (depthwise ones excepted: GroupConv computes those), so that it runs
//     on shifted rows, tap (kh, kw) reading the input shifted by (kh·d − pad)·W + kw·d − pad
//     (d = dilation), instead of an explicit im2col where it keeps the size of its input.
//
// Otherwise l is returned as it is.
func squareWindow(l model.Layer) model.Layer {
	w := l.Win
	square := l.Kind == model.OpConv && w.KH > 0 && w.KH == w.KW && w.SH == w.SW && w.DH == w.DW && !w.Ceil &&
		w.PadT == w.PadL && w.PadT == w.PadB && w.PadT == w.PadR
	grouped := gemmGrouped(&l)
	if square && (w.DH == 1 && grouped || w.DH > 1 && w.SH == 1 && (grouped || l.Groups <= 1)) {
		l.K, l.Stride, l.Pad = w.KH, w.SH, w.PadT
	}
	return l
}

// dilation is a convolution's dilation (the same in both directions where shifted rows read
// it: squareWindow), 1 where its window is unset.
func dilation(l *model.Layer) int { return max(l.Win.DH, 1) }
