package data

import (
	"fmt"
	"image"
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

// maxSide bounds --resize and --center-crop: an image of maxPixels pixels is maxSide wide.
const maxSide = 1 << 13

// validate checks the sizes, naming their flags.
func (g Geometry) validate() error {
	if g.Resize < 0 || g.CenterCrop < 0 {
		return fmt.Errorf("--resize %d and --center-crop %d: want positive sizes in pixels (0: none)", g.Resize, g.CenterCrop)
	}
	if g.Resize > maxSide || g.CenterCrop > maxSide {
		return fmt.Errorf("--resize %d and --center-crop %d: want at most %d pixels (%d megapixels per image)", g.Resize, g.CenterCrop, maxSide, maxPixels>>20)
	}
	return nil
}

// check refuses an image of w×h pixels that --resize would make larger than maxPixels (a
// long thin image scaled by its shorter side) before apply allocates its rows and taps,
// even when --center-crop would keep fewer: torchvision resizes the whole image first.
func (g Geometry) check(path string, w, h int) error {
	if g.Resize == 0 {
		return nil
	}
	ow, oh := resizedSize(w, h, g.Resize)
	if int64(ow)*int64(oh) > maxPixels {
		return fmt.Errorf("data: imagefolder: %s is %dx%d (width x height): --resize %d makes it %dx%d, over %d megapixels", path, w, h, g.Resize, ow, oh, maxPixels>>20)
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
// returns the new planes and size. Only the pixels the crop keeps are computed: each output
// pixel of a resampling pass depends on its own taps alone, so the bytes are those of resizing
// the whole image and then cropping.
func (g Geometry) apply(planes [][]byte, w, h int) ([][]byte, int, int) {
	ow, oh := w, h
	if g.Resize > 0 {
		ow, oh = resizedSize(w, h, g.Resize)
	}
	c := g.CenterCrop
	win := image.Rect(0, 0, ow, oh)
	var x0, y0 int // the crop's corner in the resized image
	if c > 0 {
		x0, y0 = cropOffset(ow, c), cropOffset(oh, c)
		win = image.Rect(x0, y0, x0+c, y0+c).Intersect(win)
	}
	for i, p := range planes {
		if ow != w || oh != h { // torchvision (and Image.resize) return an image of that size unchanged
			p = resample(p, w, h, ow, oh, win)
		} else if c > 0 {
			p = window(p, w, win)
		}
		if c > 0 {
			p = pad(p, win.Sub(image.Pt(x0, y0)), c)
		}
		planes[i] = p
	}
	if c > 0 {
		return planes, c, c
	}
	return planes, ow, oh
}

// cropOffset is where CenterCrop's window starts along a side of n pixels: int(round((n −
// c)/2.0)) with ties to even, or −((c − n)//2), the black padding before the side, when n < c.
func cropOffset(n, c int) int {
	if n < c {
		return -((c - n) / 2)
	}
	return int(math.RoundToEven(float64(n-c) / 2))
}

// window copies the rectangle r of a plane w pixels wide.
func window(src []byte, w int, r image.Rectangle) []byte {
	out := make([]byte, 0, r.Dx()*r.Dy())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		out = append(out, src[y*w+r.Min.X:y*w+r.Max.X]...)
	}
	return out
}

// pad places a plane of r's size at r in a black c×c plane (torchvision pads a side shorter
// than the crop).
func pad(src []byte, r image.Rectangle, c int) []byte {
	if r == image.Rect(0, 0, c, c) {
		return src
	}
	out := make([]byte, c*c)
	for y := range r.Dy() {
		copy(out[(r.Min.Y+y)*c+r.Min.X:], src[y*r.Dx():(y+1)*r.Dx()])
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
