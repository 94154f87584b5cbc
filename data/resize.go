package data

import (
	"fmt"
	"math"
	"strings"
)

// Geometry is torchvision's Resize(Resize) followed by CenterCrop(CenterCrop) on the PIL image
// the ImageFolder loader gives (after convert("RGB")); zero skips either step.
type Geometry struct {
	// Resize S scales the shorter side to S and the longer to int(S·long/short), as
	// torchvision's Resize(S) on a PIL image: Image.resize with BILINEAR (Pillow's antialiased
	// triangle filter, resample below).
	Resize int
	// CenterCrop C cuts the central C×C square, as torchvision's CenterCrop(C): the offset is
	// int(round((n − C)/2)) with Python's round (half to even); a side shorter than C is first
	// padded with black, (C − n)//2 before it and the rest after.
	CenterCrop int
}

// validate checks the sizes, naming their flags.
func (g Geometry) validate() error {
	if g.Resize < 0 || g.CenterCrop < 0 {
		return fmt.Errorf("--resize %d and --center-crop %d: want positive sizes in pixels (0: none)", g.Resize, g.CenterCrop)
	}
	return nil
}

// resizedSize is torchvision 0.14's _compute_resized_output_size for one size: the shorter
// side becomes s and the longer int(s·long/short), with Python's float division.
func resizedSize(w, h, s int) (int, int) {
	if w <= h {
		return s, int(float64(s*h) / float64(w))
	}
	return int(float64(s*w) / float64(h)), s
}

// apply transforms one image given as byte planes of w×h pixels (one plane per channel) and
// returns the new planes and size.
func (g Geometry) apply(planes [][]byte, w, h int) ([][]byte, int, int) {
	if g.Resize > 0 {
		ow, oh := resizedSize(w, h, g.Resize)
		if ow != w || oh != h { // torchvision (and Image.resize) return the image unchanged
			for i, p := range planes {
				planes[i] = resample(p, w, h, ow, oh)
			}
			w, h = ow, oh
		}
	}
	if c := g.CenterCrop; c > 0 {
		for i, p := range planes {
			planes[i] = centerCrop(p, w, h, c)
		}
		w, h = c, c
	}
	return planes, w, h
}

// cropOffset is where CenterCrop's window starts along a side of n pixels: int(round((n −
// c)/2.0)) with ties to even, or −((c − n)//2), the black padding before the side, when n < c.
func cropOffset(n, c int) int {
	if n < c {
		return -((c - n) / 2)
	}
	return int(math.RoundToEven(float64(n-c) / 2))
}

// centerCrop returns the central c×c window of a w×h plane, black where it passes the plane's
// edges (torchvision pads there).
func centerCrop(src []byte, w, h, c int) []byte {
	x0, y0 := cropOffset(w, c), cropOffset(h, c)
	out := make([]byte, c*c)
	for y := range c {
		sy := y0 + y
		if sy < 0 || sy >= h {
			continue
		}
		for x := range c {
			if sx := x0 + x; sx >= 0 && sx < w {
				out[y*c+x] = src[sy*w+sx]
			}
		}
	}
	return out
}

// after describes, for an error message, the size an image has after the geometry ("" when
// there is none).
func (g Geometry) after(w, h int) string {
	if g == (Geometry{}) {
		return ""
	}
	return fmt.Sprintf(", %dx%d after %s,", w, h, g)
}

// String is the flags of g, e.g. "--resize 256 --center-crop 224".
func (g Geometry) String() string {
	var s []string
	if g.Resize > 0 {
		s = append(s, fmt.Sprintf("--resize %d", g.Resize))
	}
	if g.CenterCrop > 0 {
		s = append(s, fmt.Sprintf("--center-crop %d", g.CenterCrop))
	}
	return strings.Join(s, " ")
}
