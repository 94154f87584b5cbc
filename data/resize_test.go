package data

import (
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"landscape/internal/testenv"
)

// torchvisionScript writes, for each image file named on the command line after the output
// folder, the bytes torchvision gives it through Compose([Resize(S), CenterCrop(C)]) (each step
// left out where its size is 0) after the ImageFolder loader's convert("RGB"), for every
// geometry S:C of the first argument: OUT/<i>_<S>_<C>.rgb (HWC) and .l (then Grayscale()), and
// the size as "W H" in .size.
const torchvisionScript = `
import os, sys
from PIL import Image
import torchvision.transforms as T
geoms, out, files = sys.argv[1].split(","), sys.argv[2], sys.argv[3:]
for i, f in enumerate(files):
    im = Image.open(f).convert("RGB")
    for g in geoms:
        s, c = map(int, g.split(":"))
        steps = ([T.Resize(s)] if s else []) + ([T.CenterCrop(c)] if c else [])
        r = T.Compose(steps)(im)
        base = os.path.join(out, "%d_%d_%d" % (i, s, c))
        open(base + ".rgb", "wb").write(r.tobytes())
        open(base + ".l", "wb").write(T.Grayscale()(r).tobytes())
        open(base + ".size", "w").write("%d %d" % r.size)
`

// resizeGeometries are the Resize:CenterCrop pairs compared with torchvision: ImageNet's
// evaluation transform, a strong and an odd downscale, resizing or cropping alone, an upscale of
// the smaller images, and a crop larger than the resized image (black padding).
var resizeGeometries = []Geometry{{256, 224}, {64, 56}, {37, 0}, {0, 33}, {600, 0}, {20, 31}}

// compareTorchvision loads every image file of files as a one-image ImageFolder with each of
// resizeGeometries and compares its RGB and L bytes with torchvision's: it returns the largest
// difference and the share of bytes that differ at all.
func compareTorchvision(t *testing.T, files []string) (maxDiff int, differ float64) {
	t.Helper()
	testenv.Python(t, "PIL", "torchvision")
	out := t.TempDir()
	var g []string
	for _, geo := range resizeGeometries {
		g = append(g, fmt.Sprintf("%d:%d", geo.Resize, geo.CenterCrop))
	}
	runPython(t, torchvisionScript, append([]string{strings.Join(g, ","), out}, files...)...)
	var total, bad int
	for i, f := range files {
		root := filepath.Join(t.TempDir(), "one")
		os.MkdirAll(filepath.Join(root, "class"), 0o755)
		if err := os.Symlink(f, filepath.Join(root, "class", filepath.Base(f))); err != nil {
			t.Fatal(err)
		}
		for _, geo := range resizeGeometries {
			base := filepath.Join(out, fmt.Sprintf("%d_%d_%d", i, geo.Resize, geo.CenterCrop))
			size := strings.Fields(readString(t, base+".size"))
			w, _ := strconv.Atoi(size[0])
			h, _ := strconv.Atoi(size[1])
			for _, c := range []int{3, 1} {
				s := mustLoad(t, "imagefolder:"+root, Options{Channels: c, Geometry: geo})
				if s.W != w || s.H != h {
					t.Fatalf("%s with %s: %dx%d, torchvision gives %dx%d", f, geo, s.W, s.H, w, h)
				}
				want := []byte(readString(t, base+map[int]string{3: ".rgb", 1: ".l"}[c]))
				for p, ref := range want { // HWC
					got := int(s.Images[p%c*w*h+p/c]*255 + 0.5)
					d := max(got-int(ref), int(ref)-got)
					if d > 0 {
						bad++
					}
					if d > maxDiff {
						maxDiff = d
						t.Logf("%s with %s, %d channels: byte %d (x %d, y %d) is %d, torchvision's %d", filepath.Base(f), geo, c, p, p/c%w, p/c/w, got, ref)
					}
				}
				total += len(want)
			}
		}
	}
	return maxDiff, float64(bad) / float64(total)
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestResizePhotos compares --resize and --center-crop with torchvision's Resize and
// CenterCrop on scikit-image's photographs (python3-skimage) of several sizes and aspect
// ratios, landscape and portrait, colour and gray: PNG bytes equal to PIL's, JPEG within the
// few levels that Go's IDCT differs by.
func TestResizePhotos(t *testing.T) {
	dir := testenv.Photos(t)
	var pngs []string
	for _, name := range []string{"astronaut.png", "chelsea.png", "coffee.png", "motorcycle_left.png", "camera.png", "coins.png"} {
		pngs = append(pngs, filepath.Join(dir, name))
	}
	// Portrait and odd-sized views of the same photographs.
	for _, c := range []struct {
		from string
		r    image.Rectangle
		tr   bool
	}{{"chelsea.png", image.Rect(0, 0, 451, 300), true}, {"coffee.png", image.Rect(40, 17, 557, 350), false},
		{"astronaut.png", image.Rect(150, 60, 211, 157), false}, {"coins.png", image.Rect(3, 0, 384, 300), true}} {
		pngs = append(pngs, writeView(t, filepath.Join(dir, c.from), c.r, c.tr))
	}
	d, share := compareTorchvision(t, pngs)
	t.Logf("PNG photographs: %d images × %d geometries × RGB and L: %.4f%% of bytes differ from torchvision's, by at most %d", len(pngs), len(resizeGeometries), 100*share, d)
	if d > 0 {
		t.Errorf("PNG photographs: bytes up to %d levels from torchvision's, want equal", d)
	}
	jpegs := []string{filepath.Join(dir, "rocket.jpg"), filepath.Join(dir, "hubble_deep_field.jpg")}
	d, share = compareTorchvision(t, jpegs)
	t.Logf("JPEG photographs: %.4f%% of bytes differ from torchvision's, by at most %d", 100*share, d)
	if d > 3 {
		t.Errorf("JPEG photographs: bytes up to %d levels from torchvision's, want ≤ 3 (Go's IDCT rounding only)", d)
	}
}

// writeView writes the rectangle r of a PNG photograph, transposed when tr, as a new PNG.
func writeView(t *testing.T, path string, r image.Rectangle, tr bool) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	out := image.NewNRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	if tr {
		out = image.NewNRGBA(image.Rect(0, 0, r.Dy(), r.Dx()))
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb := rgb(im, x, y)
			px := []uint8{cr, cg, cb, 255}
			if tr {
				copy(out.Pix[out.PixOffset(y-r.Min.Y, x-r.Min.X):], px)
			} else {
				copy(out.Pix[out.PixOffset(x-r.Min.X, y-r.Min.Y):], px)
			}
		}
	}
	p := filepath.Join(t.TempDir(), fmt.Sprintf("%s_%dx%d.png", strings.TrimSuffix(filepath.Base(path), ".png"), out.Rect.Dx(), out.Rect.Dy()))
	g, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if err := png.Encode(g, out); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestResizeNoise compares resizing with torchvision on random noise of small odd sizes, where
// every rounding shows: every byte equal.
func TestResizeNoise(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var files []string
	dir := t.TempDir()
	for _, sz := range [][2]int{{7, 5}, {5, 7}, {64, 64}, {41, 97}, {300, 299}, {3, 200}} {
		im := image.NewNRGBA(image.Rect(0, 0, sz[0], sz[1]))
		for i := range im.Pix {
			im.Pix[i] = uint8(r.IntN(256))
			if i%4 == 3 {
				im.Pix[i] = 255
			}
		}
		p := filepath.Join(dir, fmt.Sprintf("noise_%dx%d.png", sz[0], sz[1]))
		f, _ := os.Create(p)
		png.Encode(f, im)
		f.Close()
		files = append(files, p)
	}
	d, share := compareTorchvision(t, files)
	t.Logf("noise: %.4f%% of bytes differ from torchvision's, by at most %d", 100*share, d)
	if d > 0 {
		t.Errorf("noise: bytes up to %d levels from torchvision's, want equal", d)
	}
}

// TestCropOffset checks CenterCrop's offsets: Python's round halves to even, and a short side
// is padded (C − n)//2 before.
func TestCropOffset(t *testing.T) {
	for _, c := range []struct{ n, c, want int }{{256, 224, 16}, {5, 2, 2}, {7, 2, 2}, {9, 2, 4}, {11, 2, 4}, {4, 4, 0}, {3, 6, -1}, {2, 5, -1}, {1, 5, -2}} {
		if got := cropOffset(c.n, c.c); got != c.want {
			t.Errorf("cropOffset(%d, %d) = %d, want %d", c.n, c.c, got, c.want)
		}
	}
	for _, c := range []struct{ w, h, s, ow, oh int }{{500, 375, 256, 341, 256}, {375, 500, 256, 256, 341}, {300, 300, 7, 7, 7}, {3, 200, 10, 10, 666}} {
		if ow, oh := resizedSize(c.w, c.h, c.s); ow != c.ow || oh != c.oh {
			t.Errorf("resizedSize(%d, %d, %d) = %d, %d, want %d, %d", c.w, c.h, c.s, ow, oh, c.ow, c.oh)
		}
	}
}

// TestResizeErrors: sizes are checked, other kinds refuse a geometry, and images of different
// sizes after it are named.
func TestResizeErrors(t *testing.T) {
	dir := t.TempDir()
	for _, sz := range [][2]int{{8, 6}, {6, 8}} {
		p := filepath.Join(dir, "a", fmt.Sprintf("%dx%d.png", sz[0], sz[1]))
		os.MkdirAll(filepath.Dir(p), 0o755)
		f, _ := os.Create(p)
		png.Encode(f, image.NewGray(image.Rect(0, 0, sz[0], sz[1])))
		f.Close()
	}
	for _, c := range []struct {
		spec string
		geo  Geometry
		want string
	}{
		{"imagefolder:" + dir, Geometry{Resize: -1}, "--resize -1"},
		{"npz:" + filepath.Join(dir, "x.npz"), Geometry{Resize: 4}, "only imagefolder"},
		{"imagefolder:" + dir, Geometry{Resize: 4}, "8x6 (width x height), 5x4 after --resize 4, but"},
		{"imagefolder:" + dir, Geometry{Resize: 8193, CenterCrop: 224}, "--resize 8193 and --center-crop 224: want at most 8192 pixels"},
		// refused before the 10922×8192 planes are allocated, however small the crop
		{"imagefolder:" + dir, Geometry{Resize: 8192, CenterCrop: 4}, "6x8 (width x height): --resize 8192 makes it 8192x10922, over 64 megapixels"},
	} {
		_, err := Load(c.spec, Options{Geometry: c.geo})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s with %s: %v, want an error with %q", c.spec, c.geo, err, c.want)
		}
	}
	s := mustLoad(t, "imagefolder:"+dir, Options{Geometry: Geometry{Resize: 4, CenterCrop: 4}})
	if s.N != 2 || s.W != 4 || s.H != 4 || s.C != 1 {
		t.Errorf("two gray images through --resize 4 --center-crop 4: %d×%d×%d×%d", s.N, s.C, s.H, s.W)
	}
}

// BenchmarkResizeImageNet is --resize 256 --center-crop 224 on one 500×375 RGB image (the
// typical ImageNet validation size), decoded pixels to cropped planes.
func BenchmarkResizeImageNet(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	planes := make([][]byte, 3)
	for i := range planes {
		planes[i] = make([]byte, 500*375)
		for j := range planes[i] {
			planes[i][j] = uint8(r.IntN(256))
		}
	}
	g := Geometry{Resize: 256, CenterCrop: 224}
	for b.Loop() {
		in := [][]byte{planes[0], planes[1], planes[2]}
		g.apply(in, 500, 375)
	}
}
