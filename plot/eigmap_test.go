package plot

import (
	"image/color"
	"math"
	"path/filepath"
	"testing"

	"landscape/surface"
)

// An eigenvalue map is drawn as |λmin/λmax|: where the ratio is largest the heat map takes the
// top colour of viridis (yellow), where it is 0 the bottom one; a surface without eigenvalue
// arrays draws nothing.
func TestEigenRatio(t *testing.T) {
	ax := surface.Axis{Min: -1, Max: 1, Num: 3}
	sf := surface.New(ax, ax, "train", surface.Settings{})
	hi, lo := sf.ExtraArray("max_eig"), sf.ExtraArray("min_eig")
	for k := range sf.Len() {
		sf.Set(k, 1, math.NaN())
		hi[k], lo[k] = 10, 0
	}
	corner := sf.Index(2, 2) // (x, y) = (1, 1): ratio 0.5, the largest
	lo[corner] = -5
	dir := outDir(t)
	paths, ok, err := EigenRatio(sf, "map.npz", filepath.Join(dir, "map"))
	if err != nil || !ok || len(paths) != 2 {
		t.Fatalf("paths %v ok %v err %v", paths, ok, err)
	}
	img := readPNG(t, paths[0])
	b := img.Bounds()
	// sample well inside the plot: top-right cell against bottom-left cell
	yellow := colourAt(img, b.Min.X+b.Dx()*70/100, b.Min.Y+b.Dy()*12/100)
	purple := colourAt(img, b.Min.X+b.Dx()*20/100, b.Min.Y+b.Dy()*80/100)
	if !(yellow.R > 200 && yellow.G > 200 && yellow.B < 100) || !(purple.R < 100 && purple.B > 60 && purple.G < 50) {
		t.Errorf("top-right %v (want viridis' yellow), bottom-left %v (want its dark purple)", yellow, purple)
	}
	plain := surface.New(ax, ax, "train", surface.Settings{})
	if ps, ok, err := EigenRatio(plain, "p.npz", filepath.Join(dir, "p")); ok || err != nil || ps != nil {
		t.Errorf("loss surface: %v %v %v", ps, ok, err)
	}
}

func colourAt(img interface {
	At(x, y int) color.Color
}, x, y int) color.RGBA {
	r, g, b, a := img.At(x, y).RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
}

// A path over a contour plot draws its markers in red, the axes grown to show them all.
func TestContourMarked(t *testing.T) {
	ax := surface.Axis{Min: -1, Max: 1, Num: 5}
	sf := surface.New(ax, ax, "train", surface.Settings{})
	for k := range sf.Len() {
		x, y := sf.Coord(k)
		sf.Set(k, x*x+y*y, 50)
	}
	s := FromSurface("s.npz", sf)
	ms := []Marker{{3, 2, "1"}, {1.5, 1, "2"}, {0, 0, "3"}}
	paths, err := ContourMarked(s, ms, true, filepath.Join(outDir(t), "s_path"), Options{VMin: 0.1, VMax: 2, VLevel: 0.2})
	if err != nil || len(paths) != 2 {
		t.Fatalf("%v %v", paths, err)
	}
	img := readPNG(t, paths[0])
	reds := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if c := colourAt(img, x, y); c.R > 180 && c.G < 60 && c.B < 60 {
				reds++
			}
		}
	}
	if reds < 200 {
		t.Errorf("%d red pixels: the path is not drawn", reds)
	}
}
