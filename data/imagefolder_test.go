package data

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func savePNG(t *testing.T, path string, im image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, im); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// grayImage is a w×h gray image whose pixels are v, v+1, … in row-major order.
func grayImage(w, h int, v uint8) *image.Gray {
	im := image.NewGray(image.Rect(0, 0, w, h))
	for i := range im.Pix {
		im.Pix[i] = v + uint8(i)
	}
	return im
}

// TestImageFolderOrder: classes sorted by name, files of nested folders in
// sorted(os.walk(...)) order, non-image files skipped, gray images as one channel, --limit.
func TestImageFolderOrder(t *testing.T) {
	root := t.TempDir()
	const w, h = 3, 2 // non-square
	// Written in an order unlike the expected one.
	files := map[string]uint8{
		"dog/b.png": 40, "dog/a.PNG": 30, "dog/sub/a.png": 50, "cat/z.png": 20, "cat/10.png": 10, "ant/x.png": 0,
	}
	for name, v := range files {
		savePNG(t, filepath.Join(root, name), grayImage(w, h, v))
	}
	writeBytes(t, filepath.Join(root, "dog", "notes.txt"), []byte("not an image"))
	writeBytes(t, filepath.Join(root, "README"), []byte("a file beside the classes"))
	s, err := Load("imagefolder:"+root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// ant=0, cat=1, dog=2; cat: "10.png" < "z.png"; dog: root folder files, then sub/.
	wantFirst := []uint8{0, 10, 20, 30, 40, 50}
	wantLabels := "[0 1 1 2 2 2]"
	if s.N != 6 || s.C != 1 || s.H != h || s.W != w || s.Classes != 3 || fmt.Sprint(s.Labels) != wantLabels {
		t.Fatalf("N C H W = %d %d %d %d, classes %d, labels %v; want 6 1 2 3, 3, %s", s.N, s.C, s.H, s.W, s.Classes, s.Labels, wantLabels)
	}
	for i, v := range wantFirst {
		for j := range w * h {
			if want := float32(v+uint8(j)) / 255; s.Image(i)[j] != want {
				t.Fatalf("image %d pixel %d: %v, want %v", i, j, s.Image(i)[j], want)
			}
		}
	}
	// As RGB (a 3-channel network): the gray value in every channel; normalised per channel.
	norm := &Stats{Mean: []float64{0.1, 0.2, 0.3}, Std: []float64{0.5, 0.25, 2}}
	s, err = Load("imagefolder:"+root, Options{Channels: 3, Limit: 2, Normalize: norm})
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 2 || s.C != 3 || fmt.Sprint(s.Labels) != "[0 1]" {
		t.Fatalf("--limit 2 as RGB: N %d C %d labels %v", s.N, s.C, s.Labels)
	}
	for c := range 3 {
		for j := range w * h {
			want := (float32(10+j)/255 - float32(norm.Mean[c])) / float32(norm.Std[c])
			if got := s.Image(1)[c*w*h+j]; got != want {
				t.Fatalf("RGB channel %d pixel %d: %v, want %v", c, j, got, want)
			}
		}
	}
}

// TestImageFolderColour: RGB, RGBA (alpha dropped, not composited) and palette PNGs as RGB
// and as PIL's L: pure red, green and blue are 76, 150 and 29 in PIL's convert("L").
func TestImageFolderColour(t *testing.T) {
	root := t.TempDir()
	rgba := image.NewNRGBA(image.Rect(0, 0, 3, 1))
	rgba.SetNRGBA(0, 0, color.NRGBA{255, 0, 0, 255})
	rgba.SetNRGBA(1, 0, color.NRGBA{0, 255, 0, 10}) // nearly transparent: still green
	rgba.SetNRGBA(2, 0, color.NRGBA{0, 0, 255, 0})
	savePNG(t, filepath.Join(root, "a", "rgba.png"), rgba)
	pal := image.NewPaletted(image.Rect(0, 0, 3, 1), color.Palette{color.RGBA{0, 0, 255, 255}, color.RGBA{255, 0, 0, 255}, color.RGBA{0, 255, 0, 255}})
	pal.Pix = []uint8{1, 2, 0}
	savePNG(t, filepath.Join(root, "b", "pal.png"), pal)
	op := image.NewRGBA(image.Rect(0, 0, 3, 1))
	for x, c := range []color.RGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}} {
		op.SetRGBA(x, 0, c)
	}
	savePNG(t, filepath.Join(root, "c", "rgb.png"), op)
	s, err := Load("imagefolder:"+root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.C != 3 || s.N != 3 {
		t.Fatalf("colour images: C %d N %d, want 3 3", s.C, s.N)
	}
	for i := range 3 {
		for c := range 3 {
			for x := range 3 {
				want := float32(0)
				if x == c {
					want = 1
				}
				if got := s.Image(i)[c*3+x]; got != want {
					t.Errorf("image %d channel %d x %d: %v, want %v", i, c, x, got, want)
				}
			}
		}
	}
	s, err = Load("imagefolder:"+root, Options{Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		for x, v := range []float32{76, 150, 29} {
			if got := s.Image(i)[x]; got != v/255 {
				t.Errorf("image %d as L, x %d: %v·255, want %v", i, x, got*255, v)
			}
		}
	}
}

func TestImageFolderErrors(t *testing.T) {
	check := func(name string, opt Options, setup func(root string), want ...string) {
		t.Helper()
		root := t.TempDir()
		setup(root)
		_, err := Load("imagefolder:"+root, opt)
		if err == nil {
			t.Errorf("%s: no error", name)
			return
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), strings.ReplaceAll(w, "ROOT", root)) {
				t.Errorf("%s: error %q does not say %q", name, err, w)
			}
		}
	}
	check("sizes", Options{}, func(r string) {
		savePNG(t, filepath.Join(r, "a", "1.png"), grayImage(4, 4, 0))
		savePNG(t, filepath.Join(r, "b", "2.png"), grayImage(4, 5, 0))
	}, "ROOT/b/2.png is 4x5 (width x height) but ROOT/a/1.png is 4x4", "all images must have one size")
	check("noclasses", Options{}, func(r string) { savePNG(t, filepath.Join(r, "1.png"), grayImage(2, 2, 0)) },
		"imagefolder ROOT: no class folders")
	check("emptyclass", Options{}, func(r string) {
		savePNG(t, filepath.Join(r, "a", "1.png"), grayImage(2, 2, 0))
		writeBytes(t, filepath.Join(r, "a", "x.txt"), nil)
		os.MkdirAll(filepath.Join(r, ".ipynb_checkpoints"), 0o755)
	}, `class folder ".ipynb_checkpoints" has no image files`)
	check("bmp", Options{}, func(r string) {
		os.MkdirAll(filepath.Join(r, "a"), 0o755)
		writeBytes(t, filepath.Join(r, "a", "1.bmp"), []byte("BM"))
	}, "ROOT/a/1.bmp: .bmp images are not read here (PNG and JPEG are)")
	check("corrupt", Options{}, func(r string) {
		os.MkdirAll(filepath.Join(r, "a"), 0o755)
		writeBytes(t, filepath.Join(r, "a", "1.png"), []byte("\x89PNG\r\n\x1a\nbroken"))
	}, "ROOT/a/1.png: not a readable PNG or JPEG image")
	check("16bit", Options{}, func(r string) {
		savePNG(t, filepath.Join(r, "a", "1.png"), image.NewGray16(image.Rect(0, 0, 2, 2)))
	}, "ROOT/a/1.png: a png image with *image.Gray16 pixels", "16-bit")
	check("channels", Options{Channels: 4}, func(r string) {}, "images convert to 1 (L) or 3 (RGB) channels, not 4")
	check("missing", Options{}, func(r string) { os.Remove(r) }, "ROOT")
}
