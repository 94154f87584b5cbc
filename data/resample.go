package data

import (
	"image"
	"math"
)

// Pillow's 8-bit resampling (src/libImaging/Resample.c, Pillow 9), BILINEAR filter, written
// out so that the bytes equal PIL's Image.resize((ow, oh), Image.BILINEAR):
//
//   - Per output position x' of a side scaled from n to m pixels, scale = n/m, the filter's
//     support is 1·max(scale, 1) (a triangle widened by the scale when downscaling: the
//     antialiasing), its centre c = (x' + 0.5)·scale, and it covers the input pixels
//     [int(c − support + 0.5), int(c + support + 0.5)) clipped to [0, n), each weighted by
//     tri((x + 0.5 − c)/max(scale, 1)), tri(t) = max(1 − |t|, 0); the weights are divided by
//     their sum (in float64) and rounded to 22-bit fixed point (PRECISION_BITS = 32 − 8 − 2),
//     half away from zero.
//   - A pass sums byte·weight in int32 from 2^21 (one half) and keeps bits 22..29, clipped to
//     [0, 255].
//   - The horizontal pass runs first, rounding to bytes, then the vertical pass on its result;
//     a side whose size does not change is not resampled.

// precisionBits is Pillow's PRECISION_BITS for 8-bit images.
const precisionBits = 32 - 8 - 2

// taps are one side's resampling weights: output position i reads the n[i] inputs from
// first[i], weighted by k[i*size : i*size+n[i]] (fixed point, precisionBits).
type taps struct {
	first, n []int
	k        []int32
	size     int
}

// bilinearTaps is Pillow's precompute_coeffs with the BILINEAR filter and the box (0, in)
// followed by normalize_coeffs_8bpc.
func bilinearTaps(in, out int) taps {
	scale := float64(in) / float64(out)
	filterScale := max(scale, 1)
	support := 1 * filterScale
	size := int(math.Ceil(support))*2 + 1
	t := taps{first: make([]int, out), n: make([]int, out), k: make([]int32, out*size), size: size}
	w := make([]float64, size)
	for o := range out {
		center := float64(float64(o)+0.5) * scale
		lo := max(int(center-support+0.5), 0)
		hi := min(int(center+support+0.5), in)
		sum := 0.0
		for x := range hi - lo {
			w[x] = triangle(float64(float64(x+lo)-center+0.5) * (1 / filterScale))
			sum += w[x]
		}
		for x := range hi - lo {
			v := w[x]
			if sum != 0 {
				v /= sum
			}
			t.k[o*size+x] = fixed(v)
		}
		t.first[o], t.n[o] = lo, hi-lo
	}
	return t
}

// triangle is Pillow's bilinear_filter.
func triangle(x float64) float64 {
	x = math.Abs(x)
	if x < 1 {
		return 1 - x
	}
	return 0
}

// fixed rounds a weight to precisionBits fixed point, halves away from zero, as C's
// (int)(v·2^22 ± 0.5).
func fixed(v float64) int32 {
	if v < 0 {
		return int32(-0.5 + float64(v*(1<<precisionBits)))
	}
	return int32(0.5 + float64(v*(1<<precisionBits)))
}

// clip8 is Pillow's clip8: the byte of a fixed-point sum.
func clip8(v int32) byte {
	switch {
	case v >= 1<<precisionBits<<8:
		return 255
	case v <= 0:
		return 0
	}
	return byte(v >> precisionBits)
}

// dot is one output byte: the weighted sum of n inputs src[at], src[at+step], … from one half.
func dot(src []byte, at, step int, k []int32) byte {
	s := int32(1 << (precisionBits - 1))
	for _, kv := range k {
		s += int32(src[at]) * kv
		at += step
	}
	return clip8(s)
}

// resample resizes a w×h byte plane to ow×oh as Pillow's Image.resize with BILINEAR does
// (horizontal pass, bytes, vertical pass) and returns the window win of the result, computing
// only the pixels the window needs.
func resample(src []byte, w, h, ow, oh int, win image.Rectangle) []byte {
	cw := win.Dx()
	lo, hi := win.Min.Y, win.Max.Y // the rows the vertical pass reads
	var tv taps
	if oh != h {
		tv = bilinearTaps(h, oh)
		lo, hi = tv.first[win.Min.Y], tv.first[win.Max.Y-1]+tv.n[win.Max.Y-1]
	}
	var tmp []byte
	if ow == w {
		tmp = window(src, w, image.Rect(win.Min.X, lo, win.Max.X, hi))
	} else {
		tmp = make([]byte, cw*(hi-lo))
		th := bilinearTaps(w, ow)
		for y := lo; y < hi; y++ {
			for x := win.Min.X; x < win.Max.X; x++ {
				tmp[(y-lo)*cw+x-win.Min.X] = dot(src, y*w+th.first[x], 1, th.k[x*th.size:x*th.size+th.n[x]])
			}
		}
	}
	if oh == h {
		return tmp
	}
	out := make([]byte, cw*win.Dy())
	for y := win.Min.Y; y < win.Max.Y; y++ {
		k := tv.k[y*tv.size : y*tv.size+tv.n[y]]
		for x := range cw {
			out[(y-win.Min.Y)*cw+x] = dot(tmp, (tv.first[y]-lo)*cw+x, cw, k)
		}
	}
	return out
}
