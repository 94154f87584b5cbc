package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"landscape/surface"
)

// writeSurface saves a surface file with loss f(x, y) and accuracy 50 − loss.
func writeSurface(t *testing.T, path, xs, ys string, f func(x, y float64) float64) {
	t.Helper()
	xa, err := surface.ParseAxis("--x", xs)
	if err != nil {
		t.Fatal(err)
	}
	var ya surface.Axis
	if ys != "" {
		if ya, err = surface.ParseAxis("--y", ys); err != nil {
			t.Fatal(err)
		}
	}
	s := surface.New(xa, ya, "train", surface.Settings{Model: "resnet8-c2", X: xs, Y: ys})
	for k := range s.Len() {
		a, b := s.Coord(k)
		s.Set(k, f(a, b), 50-f(a, b))
	}
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
}

// decodePNG checks that path is a PNG of a plausible size with more than one colour.
func decodePNG(t *testing.T, path string) {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b := img.Bounds()
	if b.Dx() < 200 || b.Dy() < 200 {
		t.Errorf("%s: %v pixels", path, b)
	}
	first := img.At(b.Min.X, b.Min.Y)
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			if img.At(x, y) != first {
				return
			}
		}
	}
	t.Errorf("%s: a single colour", path)
}

func TestPlotWritesReadableFigures(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.npz"), filepath.Join(dir, "b.npz"), filepath.Join(dir, "c.npz")
	bowl := func(x, y float64) float64 { return 1 + x*x + y*y }
	writeSurface(t, a, "-1:1:5", "-1:1:5", bowl)
	writeSurface(t, b, "-1:1:5", "-1:1:5", func(x, y float64) float64 { return 1 + 4*(x*x+y*y) })
	writeSurface(t, c, "-1:1:5", "", func(x, _ float64) float64 { return 2 + x })
	prefix := filepath.Join(dir, "figs", "p")
	out := mustRun(t, "plot", a, b, "--out-prefix", prefix, "--rise-at", "0.5,1", "--vmax", "6")
	var pngs, all []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.Contains(l, "rise") {
			continue
		}
		all = append(all, l)
		if strings.HasSuffix(l, ".png") {
			pngs = append(pngs, l)
		}
	}
	// per file: contour, contourf, heat (png+svg), 3D png, vtp; and the comparison (png+svg)
	if len(all) != 2*8+2 || len(pngs) != 2*4+1 {
		t.Fatalf("wrote %d files (%d PNG), want 18 (9):\n%s", len(all), len(pngs), out)
	}
	for _, p := range all {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
		if !strings.HasPrefix(p, prefix+"_") {
			t.Errorf("%s is not under --out-prefix %s", p, prefix)
		}
	}
	for _, p := range pngs {
		decodePNG(t, p)
	}
	for _, want := range []string{
		"a.npz: train loss 1.0000 at the origin, rise 0.2500 at distance 0.5 (mean of 4 points)",
		"b.npz: train loss 1.0000 at the origin, rise 1.0000 at distance 0.5 (mean of 4 points)",
		"b.npz: train loss 1.0000 at the origin, rise 4.0000 at distance 1 (mean of 4 points)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	// 1D, next to the file; interpolated rise between grid points (x = ±0.25: loss 1.75, 2.25)
	out = mustRun(t, "plot", c, "--rise-at", "0.25")
	if !strings.Contains(out, filepath.Join(dir, "c_1d_loss_acc.png")) || !strings.Contains(out, "rise 0.0000 at distance 0.25 (mean of 2 points)") {
		t.Errorf("1D plot:\n%s", out)
	}
	decodePNG(t, filepath.Join(dir, "c_1d_loss_acc.png"))
}

func TestPlotBadInputs(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "g.npz")
	writeSurface(t, good, "-1:1:3", "", func(x, _ float64) float64 { return x * x })
	junk := filepath.Join(dir, "junk.npz")
	os.WriteFile(junk, []byte("not a zip"), 0o644)
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"plot"}, "requires at least 1 arg"},
		{[]string{"plot", filepath.Join(dir, "missing.npz")}, "missing.npz"},
		{[]string{"plot", junk}, "is not a numpy .npz file"},
		{[]string{"plot", good, "--vmin", "5", "--vmax", "1"}, "want vmin < vmax"},
		{[]string{"plot", good, "--split", "val"}, `--split "val"`},
		{[]string{"plot", good, "--rise-at", "0.5,-1"}, "--rise-at -1"},
		{[]string{"plot", good, "--out-prefix", filepath.Join(file, "p")}, "--out-prefix"},
	} {
		_, e, code := run(t, c.args...)
		if code != 1 || !strings.Contains(e, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, e, c.want)
		}
	}
}
