package main

import (
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"landscape/data"
	"landscape/model"
	"landscape/surface"
)

// TestScanOwnData scans the same 8x8 images given as MNIST IDX files, as an npz with
// --normalize set to MNIST's statistics, and as a folder of PNGs (gray, and RGB for the
// 1-channel network, converted as PIL's convert("L")): every surface must be identical.
func TestScanOwnData(t *testing.T) {
	dir := t.TempDir()
	const hw = 8
	npzPath, gray, rgb := writeOwnData(t, dir, 12, hw)
	w := writeWeights(t, dir, "resnet8", model.Config{InC: 1, HW: hw, Classes: 10}, 1)
	scan := func(name string, extra ...string) *surface.Surface {
		out := filepath.Join(dir, name+".npz")
		mustRun(t, append([]string{"scan", "--model", "resnet8", "--weights", w, "--split", "test",
			"--x", "-1:1:3", "--y", "-1:1:2", "--out", out, "--quiet"}, extra...)...)
		s, err := surface.Load(out)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ref := scan("idx", "--data", "mnist:"+dir)
	const mnist = "0.1307:0.3081"
	for name, args := range map[string][]string{
		"npz":         {"--data", "npz:" + npzPath, "--normalize", mnist},
		"imagegray":   {"--data", "imagefolder:" + gray, "--normalize", mnist},
		"imagergb":    {"--data", "imagefolder:" + rgb, "--normalize", mnist},
		"idxexplicit": {"--data", "mnist:" + dir, "--normalize", mnist},
	} {
		s := scan(name, args...)
		for k := range ref.Loss {
			if s.Loss[k] != ref.Loss[k] || s.Acc[k] != ref.Acc[k] {
				t.Fatalf("%s: point %d loss %v acc %v, the IDX scan has %v %v", name, k, s.Loss[k], s.Acc[k], ref.Loss[k], ref.Acc[k])
			}
		}
	}
	// Without --normalize an npz is only scaled to [0,1]: another surface.
	if s := scan("npzraw", "--data", "npz:"+npzPath); s.Loss[0] == ref.Loss[0] {
		t.Error("npz without --normalize gave the normalised surface")
	}
	_, e, code := run(t, "scan", "--model", "resnet8", "--weights", w, "--data", "npz:"+npzPath, "--normalize", "0.5,0.5:0.2",
		"--x", "-1:1:3", "--out", filepath.Join(dir, "bad.npz"))
	if code == 0 || !strings.Contains(e, "--normalize") || !strings.Contains(e, "2 means but 1 standard deviations") {
		t.Errorf("bad --normalize: exit %d, %s", code, e)
	}
}

// writeOwnData writes n random hw×hw gray images with labels i mod 3 (classes 0..2) as MNIST
// IDX test files in dir, as dir/own.npz, and as folders dir/gray and dir/rgb of gray and RGB
// PNGs, all in class order, the order ImageFolder lists them in.
func writeOwnData(t *testing.T, dir string, n, hw int) (npzPath, gray, rgb string) {
	r := rand.New(rand.NewPCG(5, 6))
	img, lab := make([]uint8, n*hw*hw), make([]uint8, n)
	for i := range img {
		img[i] = uint8(r.IntN(256))
	}
	for i := range lab {
		lab[i] = uint8(i % 3)
	}
	order := []int{}
	for c := range 3 {
		for i := range n {
			if int(lab[i]) == c {
				order = append(order, i)
			}
		}
	}
	sorted, sortedY, sortedL := make([]uint8, 0, len(img)), make([]int64, 0, n), make([]uint8, 0, n)
	for _, i := range order {
		sorted = append(sorted, img[i*hw*hw:(i+1)*hw*hw]...)
		sortedY, sortedL = append(sortedY, int64(lab[i])), append(sortedL, lab[i])
	}
	if err := data.WriteIDX(dir, "test", sorted, sortedL, n, hw, hw, false); err != nil {
		t.Fatal(err)
	}
	npzPath = filepath.Join(dir, "own.npz")
	if err := data.WriteNPZ(npzPath, sorted, n, 1, hw, hw, sortedY); err != nil {
		t.Fatal(err)
	}
	gray, rgb = filepath.Join(dir, "gray"), filepath.Join(dir, "rgb")
	writePNGFolder(t, gray, sorted, sortedL, hw, false)
	writePNGFolder(t, rgb, sorted, sortedL, hw, true)
	return npzPath, gray, rgb
}

// writePNGFolder writes the hw×hw gray images img as root/<class letter>/<k>.png, image k in
// the folder of its label, as gray PNGs or, with rgb, as RGBA ones with R = G = B.
func writePNGFolder(t *testing.T, root string, img, lab []uint8, hw int, rgb bool) {
	for k, l := range lab {
		g := image.NewGray(image.Rect(0, 0, hw, hw))
		copy(g.Pix, img[k*hw*hw:(k+1)*hw*hw])
		var im image.Image = g
		if rgb {
			c := image.NewRGBA(g.Rect)
			for p, v := range g.Pix {
				c.Pix[4*p], c.Pix[4*p+1], c.Pix[4*p+2], c.Pix[4*p+3] = v, v, v, 255
			}
			im = c
		}
		p := filepath.Join(root, string(rune('a'+l)), fmt.Sprintf("%03d.png", k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, im); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
}

// TestImageFolderGeometryFlags: --resize and --center-crop reach the imagefolder reader in
// scan, train and hessian, and --normalize imagenet is torchvision's statistics. The images are
// 12x10 with an 8x8 centre: --resize 10 (the shorter side already, so no change) and
// --center-crop 8 must scan exactly as a folder of the centres does.
func TestImageFolderGeometryFlags(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(7, 8))
	whole, centre := filepath.Join(dir, "whole"), filepath.Join(dir, "centre")
	for i := range 6 {
		big := image.NewNRGBA(image.Rect(0, 0, 12, 10))
		for p := range big.Pix {
			big.Pix[p] = uint8(r.IntN(256)) | uint8(255*(p%4/3))
		}
		// torchvision's offsets: round((12−8)/2) = 2 across, round((10−8)/2) = 1 down.
		for root, im := range map[string]image.Image{whole: big, centre: big.SubImage(image.Rect(2, 1, 10, 9))} {
			p := filepath.Join(root, fmt.Sprint("class", i%2), fmt.Sprintf("%d.png", i))
			os.MkdirAll(filepath.Dir(p), 0o755)
			f, _ := os.Create(p)
			png.Encode(f, im)
			f.Close()
		}
	}
	w := writeWeights(t, dir, "resnet8", model.Config{InC: 3, HW: 8, Classes: 10}, 1)
	scan := func(name string, extra ...string) *surface.Surface {
		out := filepath.Join(dir, name+".npz")
		mustRun(t, append([]string{"scan", "--model", "resnet8", "--weights", w, "--x", "-1:1:3", "--out", out, "--quiet"}, extra...)...)
		s, err := surface.Load(out)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	const imagenet = "0.485,0.456,0.406:0.229,0.224,0.225"
	ref := scan("centre", "--data", "imagefolder:"+centre, "--normalize", imagenet)
	for name, s := range map[string]*surface.Surface{
		"cropped":  scan("cropped", "--data", "imagefolder:"+whole, "--resize", "10", "--center-crop", "8", "--normalize", imagenet),
		"imagenet": scan("imagenet", "--data", "imagefolder:"+centre, "--normalize", "imagenet"),
	} {
		for k := range ref.Loss {
			if s.Loss[k] != ref.Loss[k] {
				t.Errorf("%s: point %d loss %v, the folder of centres gives %v", name, k, s.Loss[k], ref.Loss[k])
			}
		}
	}
	if s := scan("resized", "--data", "imagefolder:"+whole, "--resize", "9", "--center-crop", "8", "--normalize", imagenet); s.Loss[0] == ref.Loss[0] {
		t.Error("--resize 9 gave the surface of the unresized centres")
	}
	geo := []string{"--data", "imagefolder:" + whole, "--resize", "10", "--center-crop", "8", "--split", "train"}
	trainArgs := []string{"train", "--model", "resnet8-c2", "--epochs", "1", "--batch-size", "3", "--quiet", "--out", filepath.Join(dir, "t.safetensors")}
	mustRun(t, append(trainArgs, geo...)...)
	// The run's settings hold the geometry and normalisation: another is not taken for it.
	for _, other := range [][]string{{"--resize", "11"}, {"--normalize", "imagenet"}} {
		if _, e, code := run(t, append(append(trainArgs, geo...), other...)...); code != 1 || !strings.Contains(e, "not from a run with these settings") {
			t.Errorf("train again with %v: exit %d, %s", other, code, e)
		}
	}
	mustRun(t, append([]string{"hessian", "--model", "resnet8", "--weights", w, "--top", "1", "--max-steps", "5"}, geo...)...)
	for _, cmd := range [][]string{{"train", "--model", "resnet8-c2", "--epochs", "1", "--out", filepath.Join(dir, "u.safetensors")},
		{"hessian", "--model", "resnet8", "--weights", w}} {
		if _, e, code := run(t, append(cmd, "--data", "imagefolder:"+whole, "--split", "train")...); code != 1 || !strings.Contains(e, "images are 12x10 (width x height); the zoo networks take square images") {
			t.Errorf("%s without --center-crop: exit %d, %s", cmd[0], code, e)
		}
	}
}
