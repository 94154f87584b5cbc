package plot

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// keepDir, if set (PLOT_TEST_OUT=dir), keeps the figures for inspection.
func outDir(t *testing.T) string {
	if d := os.Getenv("PLOT_TEST_OUT"); d != "" {
		return d
	}
	return t.TempDir()
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// checkPNG decodes path and checks its size and that it has at least
// minColours distinct colours.
func checkPNG(t *testing.T, path string, w, h, minColours int) image.Image {
	t.Helper()
	img := readPNG(t, path)
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("%s: size %v, want %dx%d", path, b.Size(), w, h)
	}
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			seen[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)] = true
		}
	}
	if len(seen) < minColours {
		t.Errorf("%s: %d distinct colours, want >= %d", path, len(seen), minColours)
	}
	return img
}

func checkSVG(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("%s: no <svg element", path)
	}
	// Embedded rasters must be labelled with their real type, PNG.
	for _, part := range bytes.Split(b, []byte(`xlink:href="data:`))[1:] {
		mime, data, _ := bytes.Cut(part, []byte(";base64,"))
		data, _, _ = bytes.Cut(data, []byte(`"`))
		raw, err := base64.StdEncoding.DecodeString(string(data))
		if err != nil || string(mime) != "image/png" {
			t.Errorf("%s: embedded image of type %s: %v", path, mime, err)
		} else if _, err := png.Decode(bytes.NewReader(raw)); err != nil {
			t.Errorf("%s: embedded image is not a PNG: %v", path, err)
		}
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Errorf("%s: not XML: %v", path, err)
			}
			break
		}
	}
}

// vtkFile is the part of a .vtp file the tests check.
type vtkFile struct {
	Type  string `xml:"type,attr"`
	Piece struct {
		Points int `xml:"NumberOfPoints,attr"`
		Polys  int `xml:"NumberOfPolys,attr"`
		XYZ    struct {
			Text string `xml:",chardata"`
		} `xml:"Points>DataArray"`
		PointData []struct {
			Name string `xml:"Name,attr"`
			Text string `xml:",chardata"`
		} `xml:"PointData>DataArray"`
		Polygons []struct {
			Name string `xml:"Name,attr"`
			Text string `xml:",chardata"`
		} `xml:"Polys>DataArray"`
	} `xml:"PolyData>Piece"`
}

func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	return 0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)
}

func TestDraw2D(t *testing.T) {
	dir := outDir(t)
	s, err := readSurface(writeSurface2D(t, t.TempDir(), "para.npz", true))
	if err != nil {
		t.Fatal(err)
	}
	paths, err := Draw(s, filepath.Join(dir, "para"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"_2dcontour.png", "_2dcontour.svg", "_2dcontourf.png", "_2dcontourf.svg",
		"_2dheat.png", "_2dheat.svg", "_3dsurface.png", "_surface.vtp"}
	if len(paths) != len(want) {
		t.Fatalf("wrote %v, want %v", paths, want)
	}
	for i, p := range paths {
		if p != filepath.Join(dir, "para"+want[i]) {
			t.Errorf("path %d = %s, want suffix %s", i, p, want[i])
		}
		switch filepath.Ext(p) {
		case ".png":
			w, h := 900, 750
			if strings.HasSuffix(p, "_3dsurface.png") {
				w, h = 1050, 825
			}
			checkPNG(t, p, w, h, 20)
		case ".svg":
			checkSVG(t, p)
		}
	}
	checkHeatIncreasesWithX(t, readPNG(t, paths[4]))
	if svg, _ := os.ReadFile(paths[1]); !bytes.Contains(svg, []byte("(1 NaN, 1 Inf points masked)")) {
		t.Error("2D contour title does not report the masked points")
	}
	checkVTP(t, paths[7])
}

// checkHeatIncreasesWithX samples the coloured span of the heat map's
// middle row: for a loss increasing with x, the viridis colours must get
// lighter left to right.
func checkHeatIncreasesWithX(t *testing.T, img image.Image) {
	t.Helper()
	b := img.Bounds()
	y := (b.Min.Y + b.Max.Y) / 2
	saturated := func(x int) bool {
		r, g, bb, _ := img.At(x, y).RGBA()
		return max(r, g, bb)-min(r, g, bb) > 0x2000
	}
	first, last := -1, -1
	for x := b.Min.X; x < b.Max.X*3/4; x++ { // the colour bar is right of 3/4
		if saturated(x) {
			if first < 0 {
				first = x
			}
			last = x
		}
	}
	if first < 0 || last-first < b.Dx()/3 {
		t.Fatalf("heat map: coloured span of middle row is %d..%d", first, last)
	}
	prev := -1.0
	for k := range 6 {
		x := first + 3 + (last-first-6)*k/5
		l := luminance(img.At(x, y))
		if l <= prev {
			t.Errorf("heat map: luminance at x=%d is %.0f, not above %.0f", x, l, prev)
		}
		prev = l
	}
}

// checkVTP parses the .vtp file and checks its counts against the test
// surface with one NaN and one Inf node.
func checkVTP(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v vtkFile
	if err := xml.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	// Each masked node (interior, not adjacent to the other) removes the
	// up to 4 quads around it; maskedNaN is at j=1, maskedInf at j=ny-2.
	wantPts := tnx*tny - 2
	wantPolys := (tnx-1)*(tny-1) - 4 - 4
	if v.Type != "PolyData" || v.Piece.Points != wantPts || v.Piece.Polys != wantPolys {
		t.Fatalf("%s: type %q, %d points, %d polys; want PolyData, %d, %d",
			path, v.Type, v.Piece.Points, v.Piece.Polys, wantPts, wantPolys)
	}
	nums := func(s string) []float64 {
		var out []float64
		for _, f := range strings.Fields(s) {
			x, err := strconv.ParseFloat(f, 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("%s: bad number %q", path, f)
			}
			out = append(out, x)
		}
		return out
	}
	if n := len(nums(v.Piece.XYZ.Text)); n != 3*wantPts {
		t.Errorf("%s: %d point coordinates, want %d", path, n, 3*wantPts)
	}
	for _, pd := range v.Piece.PointData {
		if n := len(nums(pd.Text)); n != wantPts {
			t.Errorf("%s: point data %q has %d values, want %d", path, pd.Name, n, wantPts)
		}
	}
	if len(v.Piece.Polygons) != 2 {
		t.Fatalf("%s: want connectivity and offsets", path)
	}
	conn, offs := nums(v.Piece.Polygons[0].Text), nums(v.Piece.Polygons[1].Text)
	if len(conn) != 4*wantPolys || len(offs) != wantPolys || offs[len(offs)-1] != float64(len(conn)) {
		t.Errorf("%s: %d connectivity, %d offsets", path, len(conn), len(offs))
	}
	for _, k := range conn {
		if k < 0 || k >= float64(wantPts) {
			t.Fatalf("%s: connectivity index %v out of range", path, k)
		}
	}
}

func TestDraw1D(t *testing.T) {
	dir := outDir(t)
	s, err := readSurface(writeSurface1D(t, t.TempDir(), "line.npz", 1))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []Options{{}, {Log: true, XMin: -0.8, XMax: 0.8}} {
		prefix := filepath.Join(dir, "line")
		if o.Log {
			prefix += "_log"
		}
		paths, err := Draw(s, prefix, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(paths) != 2 || paths[0] != prefix+"_1d_loss_acc.png" || paths[1] != prefix+"_1d_loss_acc.svg" {
			t.Fatalf("wrote %v", paths)
		}
		img := checkPNG(t, paths[0], 1050, 750, 10)
		checkSVG(t, paths[1])
		if svg, _ := os.ReadFile(paths[1]); !bytes.Contains(svg, []byte("(1 NaN, 1 Inf points masked)")) {
			t.Errorf("%s: title does not report the masked points", paths[1])
		}
		var blues, reds int
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
				if c.B > 150 && c.R < 100 {
					blues++
				}
				if c.R > 150 && c.B < 100 && c.G < 100 {
					reds++
				}
			}
		}
		if blues < 500 || reds < 500 {
			t.Errorf("%s: %d blue and %d red pixels: loss or accuracy line missing", paths[0], blues, reds)
		}
	}
}

func TestCompare(t *testing.T) {
	dir, tmp := outDir(t), t.TempDir()
	a, err := readSurface(writeSurface2D(t, tmp, "a.npz", true))
	if err != nil {
		t.Fatal(err)
	}
	b, err := readSurface(writeSurface2D(t, tmp, "b.npz", false))
	if err != nil {
		t.Fatal(err)
	}
	paths, err := Compare([]*Surface{a, b}, filepath.Join(dir, "cmp2d"), Options{Title: "two minima"})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 2 || !strings.HasSuffix(paths[0], "cmp2d_compare.png") {
		t.Fatalf("wrote %v", paths)
	}
	checkPNG(t, paths[0], 2*630, 660, 20)
	checkSVG(t, paths[1])
	svg, _ := os.ReadFile(paths[1])
	for _, name := range []string{"a.npz", "b.npz"} {
		if !bytes.Contains(svg, []byte(name)) {
			t.Errorf("compare: panel title %s missing", name)
		}
	}

	c, _ := readSurface(writeSurface1D(t, tmp, "c.npz", 1))
	d, _ := readSurface(writeSurface1D(t, tmp, "d.npz", 2))
	paths, err = Compare([]*Surface{c, d}, filepath.Join(dir, "cmp1d"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, paths[0], 1050, 750, 10)
	if _, err := Compare([]*Surface{a, c}, filepath.Join(dir, "mixed"), Options{}); err == nil {
		t.Error("Compare of 1D with 2D: no error")
	}
}

func TestDrawErrors(t *testing.T) {
	tmp := t.TempDir()
	s, err := readSurface(writeSurface2D(t, tmp, "s.npz", false))
	if err != nil {
		t.Fatal(err)
	}
	// A "directory" that is a regular file cannot be written, even by root.
	file := filepath.Join(tmp, "file")
	os.WriteFile(file, nil, 0o644)
	out := filepath.Join(file, "sub", "s")
	if _, err := Draw(s, out, Options{}); err == nil || !strings.Contains(err.Error(), out+"_2dcontour.png") {
		t.Errorf("unwritable directory: error %v does not name the file", err)
	}
	if os.Geteuid() != 0 {
		ro := filepath.Join(tmp, "ro")
		os.Mkdir(ro, 0o555)
		if _, err := Draw(s, filepath.Join(ro, "s"), Options{}); err == nil || !strings.Contains(err.Error(), ro) {
			t.Errorf("read-only directory: error %v does not name it", err)
		}
	}
	bad := *s
	bad.Loss = bad.Loss[:10]
	if _, err := Draw(&bad, filepath.Join(tmp, "bad"), Options{}); err == nil {
		t.Error("Draw with mismatched loss length: no error")
	}
	entries, _ := os.ReadDir(tmp)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// TestAllMasked draws a surface that has no finite loss at all: it must
// not fail or panic.
func TestAllMasked(t *testing.T) {
	tmp := t.TempDir()
	s, err := readSurface(writeSurface2D(t, tmp, "s.npz", false))
	if err != nil {
		t.Fatal(err)
	}
	for i := range s.Loss {
		s.Loss[i] = math.NaN()
	}
	if _, err := Draw(s, filepath.Join(tmp, "nan"), Options{Log: true}); err != nil {
		t.Fatal(err)
	}
	s1, _ := readSurface(writeSurface1D(t, tmp, "l.npz", 1))
	for i := range s1.Loss {
		s1.Loss[i], s1.Acc[i] = math.NaN(), math.Inf(1)
	}
	if _, err := Draw(s1, filepath.Join(tmp, "nan1"), Options{Log: true}); err != nil {
		t.Fatal(err)
	}
}
