package data

import (
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// want is the test's own torchvision ToTensor+Normalize in float32.
func want(b uint8, mean, std float64, raw bool) float32 {
	x := float32(b) / 255
	if raw {
		return x
	}
	return (x - float32(mean)) / float32(std)
}

// pattern returns n deterministic bytes covering 0..255.
func pattern(n, mul int) []uint8 {
	b := make([]uint8, n)
	for i := range b {
		b[i] = uint8(i * mul)
	}
	return b
}

func mustLoad(t *testing.T, spec string, opt Options) *Set {
	t.Helper()
	s, err := Load(spec, opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wantErr checks that Load fails with an error containing every part.
func wantErr(t *testing.T, spec string, opt Options, parts ...string) {
	t.Helper()
	s, err := Load(spec, opt)
	if err == nil {
		t.Fatalf("Load(%q, %+v) = %d examples, want error containing %q", spec, opt, s.N, parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("Load(%q): error %q does not contain %q", spec, err, p)
		}
	}
}

// TestGoldenValues checks bit patterns computed separately with IEEE float32
// arithmetic (Python struct rounding) for the torchvision pipeline.
func TestGoldenValues(t *testing.T) {
	bytes := []uint8{0, 1, 128, 255}
	golden := map[string][][4]uint32{
		"fashion-mnist": {{0xbf4f6929, 0xbf4c911b, 0x3f1c9e13, 0x4001734f}},
		"mnist":         {{0xbed93271, 0xbed2ae20, 0x3f9a3d7a, 0x4034933d}},
		"cifar10": {
			{0xbffe93e9, 0xbffc8bc9, 0x3d2f8b12, 0x4003c23c},
			{0xbffd86ce, 0xbffb7723, 0x3da4e544, 0x400809e4},
			{0xbfda9426, 0xbfd8a8df, 0x3e5877c9, 0x40076368},
		},
	}
	for kind, g := range golden {
		tab, err := tables(kindStats[kind], len(g))
		if err != nil {
			t.Fatal(err)
		}
		if len(tab) != len(g) {
			t.Fatalf("%s: %d channel tables, want %d", kind, len(tab), len(g))
		}
		for c := range g {
			for i, b := range bytes {
				if got := math.Float32bits(tab[c][b]); got != g[c][i] {
					t.Errorf("%s channel %d byte %d: bits %#08x (%v), want %#08x (%v)",
						kind, c, b, got, tab[c][b], g[c][i], math.Float32frombits(g[c][i]))
				}
			}
		}
	}
}

func TestIDXRoundTrip(t *testing.T) {
	stats := map[string][2]float64{"fashion-mnist": {0.2860, 0.3530}, "mnist": {0.1307, 0.3081}}
	const n, h, w = 7, 4, 5
	imgs := pattern(n*h*w, 37)
	labels := []uint8{9, 0, 3, 1, 4, 1, 5}
	for kind, st := range stats {
		for _, gz := range []bool{false, true} {
			for _, split := range []string{"train", "test"} {
				dir := t.TempDir()
				if err := WriteIDX(dir, split, imgs, labels, n, h, w, gz); err != nil {
					t.Fatal(err)
				}
				for _, raw := range []bool{false, true} {
					s := mustLoad(t, kind+":"+dir, Options{Split: split, Raw: raw})
					if s.N != n || s.C != 1 || s.H != h || s.W != w || s.Classes != 10 {
						t.Fatalf("%s gz=%v: shape %d×%d×%d×%d classes %d", kind, gz, s.N, s.C, s.H, s.W, s.Classes)
					}
					if wantName := kind + ":" + dir + " (" + split + ")"; s.Name != wantName {
						t.Errorf("Name %q, want %q", s.Name, wantName)
					}
					for i, l := range labels {
						if s.Labels[i] != int32(l) {
							t.Errorf("label %d = %d, want %d", i, s.Labels[i], l)
						}
					}
					for i, b := range imgs {
						if wv := want(b, st[0], st[1], raw); s.Images[i] != wv {
							t.Fatalf("%s gz=%v raw=%v pixel %d (byte %d) = %v, want %v", kind, gz, raw, i, b, s.Images[i], wv)
						}
					}
				}
			}
		}
	}
}

func TestIDXLimitAndDefaultSplit(t *testing.T) {
	dir := t.TempDir()
	imgs := pattern(3*2*2, 11)
	if err := WriteIDX(dir, "train", imgs, []uint8{2, 7, 1}, 3, 2, 2, true); err != nil {
		t.Fatal(err)
	}
	s := mustLoad(t, "mnist:"+dir, Options{Limit: 2})
	if s.N != 2 || len(s.Images) != 8 || len(s.Labels) != 2 || s.Labels[1] != 7 {
		t.Fatalf("limit 2: N=%d images %d labels %v", s.N, len(s.Images), s.Labels)
	}
	if s = mustLoad(t, "mnist:"+dir, Options{Limit: 100}); s.N != 3 {
		t.Fatalf("limit 100: N=%d, want 3", s.N)
	}
}

// TestGzipByMagic checks that compression is detected by content, not name.
func TestGzipByMagic(t *testing.T) {
	src, dir := t.TempDir(), t.TempDir()
	imgs := pattern(2*3*3, 101)
	if err := WriteIDX(src, "test", imgs, []uint8{4, 5}, 2, 3, 3, true); err != nil {
		t.Fatal(err)
	}
	if err := WriteIDX(src, "train", imgs, []uint8{4, 5}, 2, 3, 3, false); err != nil {
		t.Fatal(err)
	}
	// Gzipped bytes under the plain name, plain bytes under the .gz name.
	copyFile(t, filepath.Join(src, "t10k-images-idx3-ubyte.gz"), filepath.Join(dir, "t10k-images-idx3-ubyte"))
	copyFile(t, filepath.Join(src, "train-labels-idx1-ubyte"), filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
	s := mustLoad(t, "fashion-mnist:"+dir, Options{Split: "test", Raw: true})
	if s.N != 2 || s.Labels[1] != 5 || s.Images[17] != float32(imgs[17])/255 {
		t.Fatalf("got N=%d labels %v last pixel %v", s.N, s.Labels, s.Images[17])
	}
}

func TestCIFARRoundTrip(t *testing.T) {
	mean := [3]float64{125.3 / 255, 123.0 / 255, 113.9 / 255}
	std := [3]float64{63.0 / 255, 62.1 / 255, 66.7 / 255}
	const n = 10
	imgs := pattern(n*3072, 7)
	labels := []uint8{6, 9, 9, 4, 1, 1, 2, 7, 8, 3}
	dir := t.TempDir()
	if err := WriteCIFAR10(dir, []string{"test_batch.bin"}, imgs, labels); err != nil {
		t.Fatal(err)
	}
	for _, raw := range []bool{false, true} {
		s := mustLoad(t, "cifar10:"+dir, Options{Split: "test", Raw: raw})
		if s.N != n || s.C != 3 || s.H != 32 || s.W != 32 || s.Classes != 10 {
			t.Fatalf("shape %d×%d×%d×%d", s.N, s.C, s.H, s.W)
		}
		for i := range n {
			if s.Labels[i] != int32(labels[i]) {
				t.Errorf("label %d = %d, want %d", i, s.Labels[i], labels[i])
			}
			for j, p := range s.Image(i) {
				c := j / 1024
				if wv := want(imgs[i*3072+j], mean[c], std[c], raw); p != wv {
					t.Fatalf("raw=%v image %d pixel %d = %v, want %v", raw, i, j, p, wv)
				}
			}
		}
	}
}

func TestCIFARLimitAcrossFiles(t *testing.T) {
	files := []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
	const n = 10 // two records per file
	imgs := pattern(n*3072, 3)
	labels := []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	dir := t.TempDir()
	if err := WriteCIFAR10(dir, files, imgs, labels); err != nil {
		t.Fatal(err)
	}
	s := mustLoad(t, "cifar10:"+dir, Options{Raw: true})
	if s.N != n {
		t.Fatalf("all: N=%d, want %d", s.N, n)
	}
	for i := range n {
		if s.Labels[i] != int32(i) || s.Image(i)[5] != float32(imgs[i*3072+5])/255 {
			t.Fatalf("example %d out of order: label %d", i, s.Labels[i])
		}
	}
	if s = mustLoad(t, "cifar10:"+dir, Options{Limit: 100}); s.N != n {
		t.Fatalf("limit 100: N=%d, want %d", s.N, n)
	}
	// Files after the one that reaches the limit need not exist.
	for _, f := range files[3:] {
		removeFile(t, filepath.Join(dir, f))
	}
	s = mustLoad(t, "cifar10:"+dir, Options{Limit: 5, Raw: true})
	if s.N != 5 || len(s.Images) != 5*3072 || s.Labels[4] != 4 || s.Image(4)[3071] != float32(imgs[5*3072-1])/255 {
		t.Fatalf("limit 5: N=%d labels %v", s.N, s.Labels)
	}
	if s = mustLoad(t, "cifar10:"+dir, Options{Limit: 6}); s.N != 6 {
		t.Fatalf("limit 6: N=%d", s.N)
	}
	wantErr(t, "cifar10:"+dir, Options{Limit: 7}, filepath.Join(dir, "data_batch_4.bin"), "does not exist")
}

func TestSetImageAndSlice(t *testing.T) {
	s := Synthetic(5, 2, 3, 3, 4, 1)
	v := s.Slice(1, 4)
	if v.N != 3 || len(v.Labels) != 3 || len(v.Images) != 3*18 || v.Labels[0] != s.Labels[1] {
		t.Fatalf("Slice(1,4): N=%d", v.N)
	}
	v.Image(2)[0] = 42
	if s.Image(3)[0] != 42 || s.Images[3*18] != 42 {
		t.Fatal("Slice does not share memory with the set")
	}
	if got := len(s.Image(4)); got != 18 {
		t.Fatalf("Image length %d, want 18", got)
	}
	if e := s.Slice(5, 5); e.N != 0 {
		t.Fatalf("empty slice N=%d", e.N)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Slice(3, 6) of 5 did not panic")
		}
	}()
	s.Slice(3, 6)
}

func TestSynthetic(t *testing.T) {
	a, b, c := Synthetic(200, 1, 8, 8, 10, 7), Synthetic(200, 1, 8, 8, 10, 7), Synthetic(200, 1, 8, 8, 10, 8)
	var sum, sq float64
	seen := map[int32]bool{}
	for i, p := range a.Images {
		if p != b.Images[i] {
			t.Fatal("same seed gave different images")
		}
		sum += float64(p)
		sq += float64(p) * float64(p)
	}
	for i, l := range a.Labels {
		if l < 0 || l >= 10 || l != b.Labels[i] {
			t.Fatalf("label %d = %d (other %d)", i, l, b.Labels[i])
		}
		seen[l] = true
	}
	m := sum / float64(len(a.Images))
	if sd := math.Sqrt(sq/float64(len(a.Images)) - m*m); math.Abs(m) > 0.05 || math.Abs(sd-1) > 0.05 || len(seen) < 10 {
		t.Fatalf("mean %v std %v labels seen %d", m, sd, len(seen))
	}
	if a.Images[0] == c.Images[0] && a.Images[1] == c.Images[1] {
		t.Fatal("different seeds gave the same images")
	}
}

func TestKinds(t *testing.T) {
	if got := strings.Join(Kinds(), ","); got != "fashion-mnist,mnist,cifar10,npz,imagefolder" {
		t.Fatalf("Kinds() = %s", got)
	}
}

func TestSHA256(t *testing.T) {
	a, b := Synthetic(4, 1, 3, 3, 10, 1), Synthetic(4, 1, 3, 3, 10, 1)
	if a.SHA256() != b.SHA256() {
		t.Fatal("equal sets hash differently")
	}
	b.Images[5] += 1e-6
	c := Synthetic(4, 1, 3, 3, 10, 1)
	c.Labels[3] = (c.Labels[3] + 1) % 10
	if a.SHA256() == b.SHA256() || a.SHA256() == c.SHA256() || a.SHA256() == a.Slice(0, 3).SHA256() {
		t.Error("different pixels, labels or sizes hash alike")
	}
}
