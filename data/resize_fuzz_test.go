package data

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"landscape/internal/fuzzseed"
)

func geometrySeeds() []fuzzseed.Seed {
	enc := func(w, h int) []byte {
		im := image.NewNRGBA(image.Rect(0, 0, w, h))
		for i := range im.Pix {
			im.Pix[i] = byte(31 * i)
		}
		var b bytes.Buffer
		png.Encode(&b, im)
		return b.Bytes()
	}
	var seeds []fuzzseed.Seed
	for _, s := range imageSeeds() {
		if s.Name == "jpeg" || s.Name == "gray-png" || s.Name == "cut-png" {
			seeds = append(seeds, fuzzseed.New(s.Name+"-256-224", s.Args[0], 256, 224))
		}
	}
	return append(seeds,
		fuzzseed.New("rgb-8x6-resize-4", enc(8, 6), 4, 0),
		fuzzseed.New("rgb-8x6-crop-5", enc(8, 6), 0, 5),
		fuzzseed.New("rgb-5x7-crop-9-padded", enc(5, 7), 0, 9),
		fuzzseed.New("rgb-8x6-upscale-13-crop-11", enc(8, 6), 13, 11),
		fuzzseed.New("tall-1x2000-resize-8192", enc(1, 2000), 8192, 0),
		fuzzseed.New("negative-resize", enc(4, 4), -3, 0),
		fuzzseed.New("huge-crop", enc(4, 4), 0, 1<<40),
	)
}

func TestGeometrySeeds(t *testing.T) { fuzzseed.Sync(t, "FuzzImageGeometry", geometrySeeds()) }

// FuzzImageGeometry: any image file of an imagefolder with any --resize S and --center-crop
// C. Property: no panic; an error naming the flag or the file, or images of the size
// torchvision's Resize(S) and CenterCrop(C) give (shorter side S; C×C), of at most maxPixels
// pixels before and after the crop (nothing is allocated beyond that), which round-trip:
// written as a PNG and loaded again with --resize of its shorter side and --center-crop C
// (both identities, in torchvision too) they are the same pixels. Images whose resized size
// is over fuzzPixels are not loaded (their bound, maxPixels, is TestResizeErrors's).
func FuzzImageGeometry(f *testing.F) {
	fuzzseed.Add(f, geometrySeeds())
	root := f.TempDir()
	os.MkdirAll(filepath.Join(root, "a"), 0o755)
	path := filepath.Join(root, "a", "x.png")
	f.Fuzz(func(t *testing.T, b []byte, resize, crop int) {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		g := Geometry{Resize: resize, CenterCrop: crop}
		opt := Options{Raw: true, Geometry: g}
		if opt.Check() != nil {
			return
		}
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(b)); err == nil && cfg.Width > 0 && cfg.Height > 0 && !small(g, cfg.Width, cfg.Height) {
			return // valid but seconds of resampling: a fuzzer stuck on it tries nothing else
		}
		s, err := Load("imagefolder:"+root, opt)
		if err != nil {
			return
		}
		short := min(s.W, s.H)
		if s.W*s.H > maxPixels || (crop > 0 && (s.W != crop || s.H != crop)) || (crop == 0 && resize > 0 && short != resize) {
			t.Fatalf("%s gave %dx%d images", g, s.W, s.H)
		}
		os.WriteFile(path, setPNG(t, s), 0o644)
		again, err := Load("imagefolder:"+root, Options{Raw: true, Geometry: Geometry{Resize: short, CenterCrop: crop}})
		if err != nil || again.W != s.W || again.H != s.H || !slicesEqual(again.Images, s.Images) {
			t.Fatalf("%dx%d written as PNG, loaded with --resize %d --center-crop %d: %v", s.W, s.H, short, crop, err)
		}
	})
}

// fuzzPixels bounds the images FuzzImageGeometry resamples, before and after the crop.
const fuzzPixels = 1 << 18

// small reports whether a w×h image has at most fuzzPixels pixels through g.
func small(g Geometry, w, h int) bool {
	if int64(w)*int64(h) > fuzzPixels || int64(g.CenterCrop)*int64(g.CenterCrop) > fuzzPixels {
		return false
	}
	if g.Resize > 0 {
		w, h = resizedSize(w, h, g.Resize)
	}
	return int64(w)*int64(h) <= fuzzPixels
}
