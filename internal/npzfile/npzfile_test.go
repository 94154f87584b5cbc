package npzfile

import (
	"archive/zip"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// npyBytes returns a version-1 .npy file: header dict, padded as numpy pads it, then data.
func npyBytes(descr string, fortran bool, shape []int, data []byte) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	tup := "(" + strings.Join(dims, ", ") + ")"
	if len(shape) == 1 {
		tup = "(" + dims[0] + ",)"
	}
	f := "False"
	if fortran {
		f = "True"
	}
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, f, tup)
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	out := append([]byte("\x93NUMPY\x01\x00"), byte(len(h)), byte(len(h)>>8))
	return append(append(out, h...), data...)
}

func writeNPZ(t *testing.T, members map[string][]byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "a.npz")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	z := zip.NewWriter(fh)
	for name, b := range members {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	return path
}

func f4(v ...float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func TestFloatsOrderAndDtypes(t *testing.T) {
	// a 2×3 array [[0 1 2] [3 4 5]] stored column-major: 0 3 1 4 2 5
	path := writeNPZ(t, map[string][]byte{
		"c.npy": npyBytes("<f4", false, []int{2, 3}, f4(0, 1, 2, 3, 4, 5)),
		"f.npy": npyBytes("<f4", true, []int{2, 3}, f4(0, 3, 1, 4, 2, 5)),
		"i":     npyBytes("|i1", false, []int{3}, []byte{0xff, 1, 2}),
		"b.npy": npyBytes(">u2", false, []int{2}, []byte{1, 0, 0, 2}),
	})
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.Names(); !slices.Equal(got, []string{"b", "c", "f", "i"}) {
		t.Errorf("names %v", got)
	}
	for key, want := range map[string][]float64{"c": {0, 1, 2, 3, 4, 5}, "f": {0, 1, 2, 3, 4, 5}, "i": {-1, 1, 2}, "b": {256, 2}} {
		a, err := f.Open(key)
		if err != nil {
			t.Fatal(err)
		}
		v, isFloat, err := a.Floats()
		a.Close()
		if err != nil || !slices.Equal(v, want) || isFloat != (key == "c" || key == "f") {
			t.Errorf("%s: %v %v %v, want %v", key, v, isFloat, err, want)
		}
	}
}

// A member whose data is shorter than its shape is an error, never zeros (npyio's own slice
// readers fill with zeros); it is found from the header, before the data is allocated.
func TestTruncatedIsAnError(t *testing.T) {
	path := writeNPZ(t, map[string][]byte{"x.npy": npyBytes("<f4", false, []int{4}, f4(1, 2, 3))})
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Open("x"); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("got %v, want a truncation error", err)
	}
}

// FortranToC on a 3-dimensional array, against the column-major index formula.
func TestFortranToC3D(t *testing.T) {
	sh := []int{2, 3, 4}
	col := make([]byte, 24)
	for i := range 2 {
		for j := range 3 {
			for k := range 4 {
				col[i+2*(j+3*k)] = byte(i*12 + j*4 + k) // the value is its row-major index
			}
		}
	}
	got := FortranToC(col, 1, sh, 2)
	for n, v := range got {
		if int(v) != n {
			t.Fatalf("element %d = %d (%v)", n, v, got)
		}
	}
	if got := FortranToC(col, 1, sh, 1); len(got) != 12 || got[11] != 11 {
		t.Errorf("keep 1: %v", got)
	}
}
