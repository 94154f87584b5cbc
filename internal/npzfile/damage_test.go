package npzfile

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// zipBytes builds an archive of the members in order, stored or deflated.
func zipBytes(t testing.TB, method uint16, members ...[2][]byte) []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, m := range members {
		w, err := z.CreateHeader(&zip.FileHeader{Name: string(m[0]), Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(m[1])
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readAll reads every array of the archive b: numbers, or strings.
func readAll(t testing.TB, b []byte) error {
	f, err := NewReader("a.npz", bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return err
	}
	for _, k := range f.Names() {
		a, err := f.Open(k)
		if err != nil {
			return err
		}
		if a.Kind == 'U' {
			_, _, err = f.String(k)
		} else {
			_, _, err = a.Floats()
		}
		a.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// Every single-bit flip in a stored member's array data is refused as a CRC mismatch naming
// the file and the member, as numpy.load refuses it (archive/zip alone checks the CRC only
// when a reader reaches EOF, which a reader of exactly the shape's bytes never does).
func TestBitFlipIsACRCError(t *testing.T) {
	data := f4(1, 2, 3, 4, 5, 6)
	good := zipBytes(t, zip.Store, [2][]byte{[]byte("x.npy"), npyBytes("<f4", false, []int{2, 3}, data)})
	if err := readAll(t, good); err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(good, data)
	for i := range len(data) * 8 {
		b := bytes.Clone(good)
		b[at+i/8] ^= 1 << (i % 8)
		err := readAll(t, b)
		if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "a.npz: x.npy: CRC mismatch, the file is damaged") {
			t.Fatalf("bit %d flipped: got %v, want a CRC mismatch", i, err)
		}
	}
}

// A flipped byte in a deflated member is refused too (a CRC or a deflate error), and so is
// a member whose recorded CRC was zeroed (archive/zip skips the check when it reads 0).
func TestDeflatedAndZeroCRC(t *testing.T) {
	data := make([]byte, 512)
	for i := range data {
		data[i] = byte(i * i / 7)
	}
	m := [2][]byte{[]byte("x.npy"), npyBytes("<f8", false, []int{64}, data)}
	good := zipBytes(t, zip.Deflate, m)
	// the deflate stream, less the empty block Go's writer ends it with (00 00 00 ff ff:
	// nothing reads it once the final block is done; neither numpy nor archive/zip)
	start, end := 30+len("x.npy"), bytes.Index(good, []byte("PK\x07\x08"))-5
	if end-start < 100 {
		t.Fatalf("deflate stream of %d bytes", end-start)
	}
	for i := start; i < end; i++ {
		b := bytes.Clone(good)
		b[i] ^= 0x10
		if err := readAll(t, b); err == nil {
			t.Errorf("byte %d flipped: read without error", i)
		}
	}
	st := zipBytes(t, zip.Store, m)
	cd := bytes.LastIndex(st, []byte("PK\x01\x02"))
	binary.LittleEndian.PutUint32(st[cd+16:], 0)
	st[len(m[1])/2+60] ^= 1
	if err := readAll(t, st); !errors.Is(err, ErrDamaged) {
		t.Errorf("zero CRC recorded, data flipped: got %v", err)
	}
}

// Sizes a header claims are checked against the bytes present before anything is
// allocated: a shape of 2^40 elements in a 100-byte member, a member claiming more bytes
// than the file has.
func TestClaimedSizes(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"huge shape", zipBytes(t, zip.Store, [2][]byte{[]byte("x.npy"), npyBytes("<f8", false, []int{1 << 20, 1 << 20}, nil)}), "truncated"},
		{"overflowing shape", zipBytes(t, zip.Store, [2][]byte{[]byte("x.npy"), npyBytes("<f8", false, []int{1 << 31, 1 << 31, 1 << 31}, nil)}), "too many elements"},
		{"bad descr", zipBytes(t, zip.Store, [2][]byte{[]byte("x.npy"), npyBytes("<f", false, []int{1}, nil)}), "dtype"},
	} {
		if err := readAll(t, tc.b); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
	b := zipBytes(t, zip.Store, [2][]byte{[]byte("x.npy"), npyBytes("<f8", false, []int{4}, make([]byte, 32))})
	cd := bytes.LastIndex(b, []byte("PK\x01\x02"))
	binary.LittleEndian.PutUint32(b[cd+20:], 1<<30) // compressed size
	binary.LittleEndian.PutUint32(b[cd+24:], 1<<30)
	if err := readAll(t, b); !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "past the end") {
		t.Errorf("member past the end: got %v", err)
	}
}

// Header dicts in any key order, version 2.0, and unicode strings as numpy writes them.
func TestHeaderAndString(t *testing.T) {
	s := "héllo ☃"
	var u []byte
	for _, r := range s {
		u = binary.LittleEndian.AppendUint32(u, uint32(r))
	}
	u = append(u, 0, 0, 0, 0)
	dict := "{'shape': (2,), 'fortran_order': False, 'descr': '>i2'}"
	v2 := append([]byte("\x93NUMPY\x02\x00"), byte(len(dict)), 0, 0, 0)
	v2 = append(append(v2, dict...), 0, 7, 0xff, 0xfe)
	b := zipBytes(t, zip.Deflate,
		[2][]byte{[]byte("s.npy"), npyBytes(fmt.Sprintf("<U%d", len(u)/4), false, nil, u)},
		[2][]byte{[]byte("v.npy"), v2})
	f, err := NewReader("a.npz", bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok, err := f.String("s"); got != s || !ok || err != nil {
		t.Errorf("String: %q %v %v, want %q", got, ok, err, s)
	}
	if _, ok, err := f.String("v"); ok || err != nil {
		t.Errorf("String of an int array: ok %v err %v", ok, err)
	}
	a, err := f.Open("v")
	if err != nil {
		t.Fatal(err)
	}
	if v, _, err := a.Floats(); err != nil || len(v) != 2 || v[0] != 7 || v[1] != -2 {
		t.Errorf("v2 header, big-endian int16: %v %v", v, err)
	}
}
