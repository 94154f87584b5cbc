package data

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

type member struct {
	name string
	data []byte
}

// writeZip stores members in a zip file, deflated or not.
func writeZip(t *testing.T, path string, deflate bool, ms ...member) {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, m := range ms {
		meth := zip.Store
		if deflate {
			meth = zip.Deflate
		}
		w, err := z.CreateHeader(&zip.FileHeader{Name: m.name, Method: meth})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(m.data)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	writeBytes(t, path, buf.Bytes())
}

func le32(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// The npz fixtures below read uint8, float32, big-endian float64 and Fortran-ordered images
// with labels of several integer types, from members named key.npy (numpy) and key (npyio).

// rampF32 is size float32 pixels: pixel i is 0.37·i − 1.
func rampF32(size int) []float32 {
	f32 := make([]float32, size)
	for i := range f32 {
		f32[i] = float32(i)*0.37 - 1
	}
	return f32
}

// TestNPZUint8 reads uint8 pixels, int16 labels and split arrays stored under "key.npy", and
// normalises them with --normalize and --limit.
func TestNPZUint8(t *testing.T) {
	const n, c, h, w = 3, 2, 2, 3 // non-square
	px := pattern(n*c*h*w, 11)
	p := filepath.Join(t.TempDir(), "u8.npz")
	y16 := []byte{2, 0, 0, 0, 7, 0}
	writeZip(t, p, true,
		member{"x_train.npy", npyBytes("|u1", false, []int{n, c, h, w}, px)},
		member{"y_train.npy", npyBytes("<i2", false, []int{n}, y16)},
		member{"x_test.npy", npyBytes("|u1", false, []int{1, c, h, w}, px[:c*h*w])},
		member{"y_test.npy", npyBytes("<i2", false, []int{1}, []byte{1, 0})})
	s, err := Load("npz:"+p, Options{Split: "train"})
	if err != nil {
		t.Fatal(err)
	}
	if s.N != n || s.C != c || s.H != h || s.W != w || s.Classes != 8 || fmt.Sprint(s.Labels) != "[2 0 7]" {
		t.Fatalf("train: N C H W = %d %d %d %d, classes %d, labels %v; want 3 2 2 3, 8, [2 0 7]", s.N, s.C, s.H, s.W, s.Classes, s.Labels)
	}
	for i, b := range px {
		if want := float32(b) / 255; s.Images[i] != want {
			t.Fatalf("pixel %d: %v, want %v", i, s.Images[i], want)
		}
	}
	if st, err := Load("npz:"+p, Options{Split: "test"}); err != nil || st.N != 1 || st.Labels[0] != 1 {
		t.Fatalf("test split: %v, %v", st, err)
	}
	// --normalize with one value per channel, in float32.
	norm := &Stats{Mean: []float64{0.5, 0.25}, Std: []float64{0.2, 0.125}}
	s, err = Load("npz:"+p, Options{Normalize: norm, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 2 || len(s.Images) != 2*c*h*w {
		t.Fatalf("--limit 2: %d examples, %d pixels", s.N, len(s.Images))
	}
	for i := range s.Images {
		ch := i / (h * w) % c
		want := (float32(px[i])/255 - float32(norm.Mean[ch])) / float32(norm.Std[ch])
		if s.Images[i] != want {
			t.Fatalf("normalised pixel %d: %v, want %v", i, s.Images[i], want)
		}
	}
	if s.Black[0] != -0.5/float32(0.2) || s.Black[1] != -2 {
		t.Errorf("black levels %v, want [-2.5 -2]", s.Black)
	}
}

// TestNPZFloat32 reads float32 pixels with plain x/y under npyio's names and uint64 labels,
// as either split.
func TestNPZFloat32(t *testing.T) {
	const n, c, h, w = 3, 2, 2, 3
	f32 := rampF32(n * c * h * w)
	p := filepath.Join(t.TempDir(), "f32.npz")
	y64 := binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, 1), 0), 4)
	writeZip(t, p, false,
		member{"x", npyBytes("<f4", false, []int{n, c, h, w}, le32(f32))},
		member{"y", npyBytes("<u8", false, []int{n, 1}, y64)})
	for _, split := range []string{"train", "test"} {
		s, err := Load("npz:"+p, Options{Split: split})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(s.Labels) != "[1 0 4]" || s.Classes != 5 || s.Images[5] != f32[5] || s.Images[len(f32)-1] != f32[len(f32)-1] {
			t.Fatalf("float32 %s: labels %v classes %d pixels %v", split, s.Labels, s.Classes, s.Images)
		}
	}
}

// TestNPZFortranFloat64 reads big-endian float64 in Fortran order: element (n,c,h,w) at
// n + N(c + C(h + Hw)).
func TestNPZFortranFloat64(t *testing.T) {
	const n, c, h, w = 3, 2, 2, 3
	f32 := rampF32(n * c * h * w)
	fb := make([]byte, 8*len(f32))
	for i := range f32 {
		ix := unravel(i, []int{n, c, h, w})
		at := ix[0] + n*(ix[1]+c*(ix[2]+h*ix[3]))
		binary.BigEndian.PutUint64(fb[8*at:], math.Float64bits(float64(f32[i])))
	}
	p := filepath.Join(t.TempDir(), "f64f.npz")
	writeZip(t, p, true,
		member{"x.npy", npyBytes(">f8", true, []int{n, c, h, w}, fb)},
		member{"y.npy", npyBytes("|i1", false, []int{n}, []byte{3, 1, 2})})
	s, err := Load("npz:"+p, Options{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := range s.Images {
		if s.Images[i] != f32[i] {
			t.Fatalf("fortran float64 pixel %d: %v, want %v", i, s.Images[i], f32[i])
		}
	}
}

// TestNPZMalformed checks that each fault gives an error naming the file, the array and
// what was expected.
func TestNPZMalformed(t *testing.T) {
	dir := t.TempDir()
	px := pattern(2*1*3*3, 5)
	good := func(name string) member { return member{name, npyBytes("|u1", false, []int{2, 1, 3, 3}, px)} }
	lab := member{"y.npy", npyBytes("<i8", false, []int{2}, make([]byte, 16))}
	cases := []struct {
		name string
		ms   []member
		opt  Options
		want []string
	}{
		{"nokeys", []member{good("images.npy"), lab}, Options{}, []string{"want arrays x_train and y_train, or x and y", "the file has: images, y"}},
		{"onlytrain", []member{good("x_train.npy"), {"y_train.npy", lab.data}}, Options{Split: "test"}, []string{"x_test and y_test, or x and y"}},
		{"dtype", []member{{"x.npy", npyBytes("<i4", false, []int{2, 1, 3, 3}, make([]byte, 72))}, lab}, Options{}, []string{`array "x": dtype i4, want uint8`}},
		{"labeldtype", []member{good("x.npy"), {"y.npy", npyBytes("<f4", false, []int{2}, make([]byte, 8))}}, Options{}, []string{`array "y": dtype f4, want integer class labels`}},
		{"3d", []member{{"x.npy", npyBytes("|u1", false, []int{2, 3, 3}, px)}, lab}, Options{}, []string{"shape (2, 3, 3), want N×C×H×W", "x[:, None]"}},
		{"nhwc", []member{{"x.npy", npyBytes("|u1", false, []int{1, 8, 8, 3}, make([]byte, 192))}, {"y.npy", npyBytes("|u1", false, []int{1}, []byte{0})}}, Options{}, []string{"looks like N×H×W×C", "transpose(0, 3, 1, 2)"}},
		{"count", []member{good("x.npy"), {"y.npy", npyBytes("|u1", false, []int{3}, []byte{0, 1, 2})}}, Options{}, []string{"2 images but 3 labels"}},
		{"truncated", []member{{"x.npy", npyBytes("|u1", false, []int{2, 1, 3, 3}, px[:10])}, lab}, Options{}, []string{`array "x": truncated: shape (2, 1, 3, 3) of u1 needs 18 bytes`}},
		{"extra", []member{{"x.npy", npyBytes("|u1", false, []int{2, 1, 3, 3}, append(px, 1))}, lab}, Options{}, []string{"more data than shape (2, 1, 3, 3)"}},
		{"negative", []member{good("x.npy"), {"y.npy", npyBytes("|i1", false, []int{2}, []byte{0, 0xff})}}, Options{}, []string{"label -1 of example 1, want a class index"}},
		{"nan", []member{{"x.npy", npyBytes("<f4", false, []int{1, 1, 1, 2}, le32([]float32{0, float32(math.NaN())}))}, {"y.npy", npyBytes("|u1", false, []int{1}, []byte{0})}}, Options{}, []string{"x[0 0 0 1] = NaN, want finite"}},
		{"notnpy", []member{{"x.npy", []byte("hello")}, lab}, Options{}, []string{`array "x": not a .npy array`}},
		{"channels", []member{good("x.npy"), lab}, Options{Normalize: &Stats{Mean: []float64{1, 2}, Std: []float64{1, 1}}}, []string{"--normalize 1,2:1,1: 2 values per list for 1-channel images"}},
		{"rawnorm", []member{good("x.npy"), lab}, Options{Raw: true, Normalize: &Stats{Mean: []float64{1}, Std: []float64{1}}}, []string{"--raw and --normalize 1:1 contradict"}},
		{"wantC", []member{good("x.npy"), lab}, Options{Channels: 3}, []string{"holds 1-channel images but 3 channels are wanted"}},
	}
	for _, tc := range cases {
		p := filepath.Join(dir, tc.name+".npz")
		writeZip(t, p, false, tc.ms...)
		_, err := Load("npz:"+p, tc.opt)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if tc.name != "rawnorm" {
			tc.want = append(tc.want, p)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", tc.name, err, w)
			}
		}
	}
	p := filepath.Join(dir, "plain.txt")
	writeBytes(t, p, []byte("not a zip"))
	if _, err := Load("npz:"+p, Options{}); err == nil || !strings.Contains(err.Error(), p+" is not a readable .npz") {
		t.Errorf("text file: %v", err)
	}
	if _, err := Load("npz:"+filepath.Join(dir, "missing.npz"), Options{}); err == nil || !strings.Contains(err.Error(), "missing.npz") {
		t.Errorf("missing file: %v", err)
	}
}

func TestParseStats(t *testing.T) {
	st, err := ParseStats("0.4914, 0.4822,0.4465:0.247,0.243,0.261")
	if err != nil || len(st.Mean) != 3 || st.Std[2] != 0.261 || st.String() != "0.4914,0.4822,0.4465:0.247,0.243,0.261" {
		t.Fatalf("%v %v", st, err)
	}
	// torchvision's ImageNet statistics (the classification references' Normalize).
	if st, err := ParseStats("imagenet"); err != nil || st.String() != "0.485,0.456,0.406:0.229,0.224,0.225" {
		t.Errorf("--normalize imagenet: %v %v", st, err)
	}
	for in, want := range map[string]string{
		"0.5":         "want MEANS:STDS",
		"0.5,x:1,1":   `mean "x" is not a finite number`,
		"0.5:1,1":     "1 means but 2 standard deviations",
		"0.5:0":       "standard deviation 0, want > 0",
		"0.5:NaN":     `std "NaN" is not a finite number`,
		"0:1e-45":     "take pixels in [0, 1] outside float32's range", // 1/1e-45 overflows
		"1e39:1":      "outside float32's range",
		"0.5,0.5:1,1": "",
	} {
		_, err := ParseStats(in)
		if (err == nil) != (want == "") || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("ParseStats(%q): %v, want %q", in, err, want)
		}
	}
}

// TestNormalizeBuiltinKinds: --normalize replaces the built-in statistics of an IDX set.
func TestNormalizeBuiltinKinds(t *testing.T) {
	dir := t.TempDir()
	px := []uint8{0, 51, 255, 128}
	if err := WriteIDX(dir, "train", px, []uint8{1}, 1, 2, 2, false); err != nil {
		t.Fatal(err)
	}
	s, err := Load("mnist:"+dir, Options{Normalize: &Stats{Mean: []float64{0.5}, Std: []float64{0.5}}})
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range px {
		if want := (float32(b)/255 - 0.5) / 0.5; s.Images[i] != want {
			t.Errorf("pixel %d: %v, want %v", i, s.Images[i], want)
		}
	}
	if _, err := Load("mnist:"+dir, Options{Raw: true, Normalize: &Stats{Mean: []float64{0.5}, Std: []float64{0.5}}}); err == nil {
		t.Error("--raw with --normalize accepted")
	}
}
