package npzfile

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npz"

	"landscape/internal/fuzzseed"
)

func npzSeeds(t testing.TB) []fuzzseed.Seed {
	var npyio bytes.Buffer
	w := npz.NewWriter(&npyio)
	w.Write("x", []float64{1, 2, 3})
	w.Write("settings", `{"model": "m"}`)
	w.Close()
	m := func(name string, b []byte) [2][]byte { return [2][]byte{[]byte(name), b} }
	stored := zipBytes(t, zip.Store, m("x.npy", npyBytes("<f4", false, []int{2, 3}, f4(0, 1, 2, 3, 4, 5))),
		m("f.npy", npyBytes("<f4", true, []int{2, 3}, f4(0, 3, 1, 4, 2, 5))),
		m("y.npy", npyBytes("|u1", false, []int{3}, []byte{1, 2, 3})))
	flipped := bytes.Clone(stored)
	flipped[bytes.Index(flipped, f4(3))] ^= 4
	return []fuzzseed.Seed{
		fuzzseed.New("npyio", npyio.Bytes()),
		fuzzseed.New("stored", stored),
		fuzzseed.New("deflated", zipBytes(t, zip.Deflate, m("b.npy", npyBytes(">i8", false, []int{2, 1}, make([]byte, 16))), m("z.npy", npyBytes("<f8", true, nil, f4(1, 2))))),
		fuzzseed.New("crc-flipped", flipped),
		fuzzseed.New("truncated-data", zipBytes(t, zip.Store, m("x.npy", npyBytes("<f8", false, []int{9}, make([]byte, 8))))),
		fuzzseed.New("huge-shape", zipBytes(t, zip.Store, m("x.npy", npyBytes("<f8", false, []int{1 << 40, 1 << 40}, nil)))),
		fuzzseed.New("bad-dict", zipBytes(t, zip.Store, m("x.npy", []byte("\x93NUMPY\x01\x00\x10\x00{'descr': '<f4}\n")))),
		// npyio's header parser, which read these members before, panicked on both
		// (slice bounds out of range [:-1]): a header without its newline, and one whose
		// keys are not in numpy's order
		fuzzseed.New("header-without-newline", zipBytes(t, zip.Store, m("x.npy", []byte("\x93NUMPY\x01\x00\x05\x00{abc}")))),
		fuzzseed.New("keys-reordered", zipBytes(t, zip.Store, m("x.npy", append([]byte("\x93NUMPY\x01\x00\x3a\x00{'shape': (1,), 'fortran_order': False, 'descr': '<f4', }\n"), f4(7)...)))),
		fuzzseed.New("cut", stored[:len(stored)/2]),
		fuzzseed.New("empty", []byte{}),
	}
}

// TestNPZSeeds writes or checks FuzzNPZ's committed corpus (internal/fuzzseed).
func TestNPZSeeds(t *testing.T) { fuzzseed.Sync(t, "FuzzNPZ", npzSeeds(t)) }

// FuzzNPZ: any bytes given to the .npz reader (archive, every member's header, data, string).
// Property: no panic and no hang; every array read holds at most as many elements as the
// archive's bytes can encode (1032 per byte: deflate's limit), so nothing is allocated beyond
// a bound set by the input's size; and what is read round-trips: written back as float64 and
// read again it is bit for bit the same. Otherwise the reader returns an error.
func FuzzNPZ(f *testing.F) {
	fuzzseed.Add(f, npzSeeds(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		z, err := NewReader("fuzz.npz", bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		for _, k := range z.Names() {
			z.String(k)
			a, err := z.Open(k)
			if err != nil {
				continue
			}
			v, _, err := a.Floats()
			a.Close()
			if err != nil {
				continue
			}
			if len(v) > maxDeflateRatio*len(b) {
				t.Fatalf("%s: %d elements from %d bytes", k, len(v), len(b))
			}
			raw := make([]byte, 8*len(v))
			for i, x := range v {
				binary.LittleEndian.PutUint64(raw[8*i:], math.Float64bits(x))
			}
			back := zipBytes(t, zip.Deflate, [2][]byte{[]byte("v.npy"), npyBytes("<f8", false, []int{len(v)}, raw)})
			r, err := NewReader("back.npz", bytes.NewReader(back), int64(len(back)))
			if err != nil {
				t.Fatal(err)
			}
			ra, err := r.Open("v")
			if err != nil {
				t.Fatal(err)
			}
			w, _, err := ra.Floats()
			if err != nil || len(w) != len(v) {
				t.Fatalf("round trip of %s: %d values, %v", k, len(w), err)
			}
			for i := range v {
				if math.Float64bits(v[i]) != math.Float64bits(w[i]) {
					t.Fatalf("round trip of %s: element %d %v ≠ %v", k, i, w[i], v[i])
				}
			}
		}
	})
}

// The two headers npyio's parser panicked on: one is an error, the other reads.
func TestHeadersNPYIOPanickedOn(t *testing.T) {
	for _, s := range npzSeeds(t) {
		b := s.Args[0].([]byte)
		switch s.Name {
		case "header-without-newline":
			if err := readAll(t, b); err == nil || !strings.Contains(err.Error(), "want a quoted string") {
				t.Errorf("%s: got %v", s.Name, err)
			}
		case "keys-reordered":
			z, _ := NewReader("a.npz", bytes.NewReader(b), int64(len(b)))
			a, err := z.Open("x")
			if err != nil {
				t.Fatal(err)
			}
			if v, _, err := a.Floats(); err != nil || len(v) != 1 || v[0] != 7 {
				t.Errorf("%s: %v %v", s.Name, v, err)
			}
		}
	}
}
