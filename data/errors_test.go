package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeBytes(t, to, b)
}

func writeBytes(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func removeFile(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

// header builds an IDX header by hand, independently of the writers.
func header(magic uint32, dims ...uint32) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	binary.Write(&b, binary.BigEndian, dims)
	return b.Bytes()
}

func join(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestBadSpecs(t *testing.T) {
	dir := t.TempDir()
	if err := WriteIDX(dir, "train", make([]uint8, 4), []uint8{1}, 1, 2, 2, false); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "fashion-mnist", Options{}, `--data "fashion-mnist": expected KIND:PATH`)
	wantErr(t, ":"+dir, Options{}, "expected KIND:PATH")
	wantErr(t, "mnist:", Options{}, "expected KIND:PATH")
	wantErr(t, "foo:/x", Options{}, `data: unknown kind "foo" in --data "foo:/x" (want fashion-mnist, mnist, cifar10, npz, imagefolder)`)
	wantErr(t, "mnist:"+dir, Options{Split: "val"}, `--split "val": want train or test`)
	wantErr(t, "mnist:"+dir, Options{Limit: -1}, "--limit -1")
	wantErr(t, "fashion-mnist:/d", Options{Split: "test"},
		"data: fashion-mnist test split: neither /d/t10k-images-idx3-ubyte nor /d/t10k-images-idx3-ubyte.gz exists")
	// Only the train split exists in dir.
	wantErr(t, "mnist:"+dir, Options{Split: "test"}, "mnist test split: neither", "t10k-images-idx3-ubyte.gz exists")
	removeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte"))
	wantErr(t, "mnist:"+dir, Options{}, "train-labels-idx1-ubyte.gz exists")
	wantErr(t, "cifar10:"+dir, Options{Split: "test"}, "cifar10 test split", filepath.Join(dir, "test_batch.bin")+" does not exist")
	wantErr(t, "cifar10:"+dir, Options{}, filepath.Join(dir, "data_batch_1.bin")+" does not exist")
}

func TestMalformedIDX(t *testing.T) {
	img := header(0x803, 3, 2, 2)
	lbl := header(0x801, 3)
	pix := bytes.Repeat([]byte{200}, 12)
	okLabels := []byte{0, 9, 5}
	cases := []struct {
		name     string
		img, lbl []byte
		errs     []string // substrings; "IMG"/"LBL" are replaced by the paths
	}{
		{"image magic", join(header(0x801, 3, 2, 2), pix), join(lbl, okLabels), []string{"IMG: bad magic 0x00000801, want 0x00000803"}},
		{"label magic", join(img, pix), join(header(0x803, 3), okLabels), []string{"LBL: bad magic 0x00000803, want 0x00000801"}},
		{"image header", img[:10], join(lbl, okLabels), []string{"IMG: truncated header: 10 bytes, want 16"}},
		{"label header", join(img, pix), lbl[:6], []string{"LBL: truncated header: 6 bytes, want 8"}},
		{"empty image file", nil, join(lbl, okLabels), []string{"IMG: truncated header: 0 bytes"}},
		{"image payload", join(img, pix[:10]), join(lbl, okLabels),
			[]string{"IMG: truncated: header says 3 images of 2x2 (12 bytes) but only 10 bytes follow"}},
		{"huge header", join(header(0x803, 0xffffffff, 0xffffffff, 0xffffffff), pix), join(lbl, okLabels), []string{"IMG: truncated: header says 4294967295 images"}},
		{"label payload", join(img, pix), join(lbl, okLabels[:2]), []string{"LBL: truncated: header says 3 labels (3 bytes) but only 2 bytes follow"}},
		{"trailing bytes", join(img, pix, []byte{1}), join(lbl, okLabels), []string{"IMG: header says 3 images of 2x2 (12 bytes) but 13 bytes follow"}},
		{"count mismatch", join(img, pix), join(header(0x801, 2), okLabels[:2]), []string{"IMG has 3 images but LBL has 2 labels"}},
		{"label range", join(img, pix), join(lbl, []byte{0, 10, 5}), []string{"LBL: label 10 of example 1 out of range, want 0..9"}},
		{"no examples", header(0x803, 0, 28, 28), header(0x801, 0), []string{"IMG: no examples"}},
		{"zero rows", header(0x803, 3, 0, 28), join(lbl, okLabels), []string{"IMG: header says images of 0x28"}},
	}
	for _, c := range cases {
		for _, gz := range []bool{false, true} {
			dir := t.TempDir()
			ip, lp := filepath.Join(dir, "train-images-idx3-ubyte"), filepath.Join(dir, "train-labels-idx1-ubyte")
			ib, lb := c.img, c.lbl
			if gz {
				ip, lp, ib, lb = ip+".gz", lp+".gz", gzipBytes(ib), gzipBytes(lb)
			}
			writeBytes(t, ip, ib)
			writeBytes(t, lp, lb)
			var errs []string
			for _, e := range c.errs {
				e = string(bytes.ReplaceAll([]byte(e), []byte("IMG"), []byte(ip)))
				errs = append(errs, string(bytes.ReplaceAll([]byte(e), []byte("LBL"), []byte(lp))))
			}
			t.Run(c.name, func(t *testing.T) { wantErr(t, "fashion-mnist:"+dir, Options{}, errs...) })
		}
	}
}

func TestCorruptGzip(t *testing.T) {
	dir := t.TempDir()
	if err := WriteIDX(dir, "train", make([]uint8, 40), make([]uint8, 10), 10, 2, 2, true); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "train-images-idx3-ubyte.gz")
	b, _ := os.ReadFile(p)
	writeBytes(t, p, b[:len(b)/2])
	wantErr(t, "mnist:"+dir, Options{}, p+": bad gzip data")
}

func gzipBytes(b []byte) []byte {
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(b)
	w.Close()
	return z.Bytes()
}

func TestMalformedCIFAR(t *testing.T) {
	rec := func(label byte) []byte { return append([]byte{label}, bytes.Repeat([]byte{9}, 3072)...) }
	cases := []struct {
		name string
		data []byte
		err  string
	}{
		{"empty", nil, "size 0 bytes, want a non-zero multiple of 3073"},
		{"short", rec(1)[:3000], "size 3000 bytes, want a non-zero multiple of 3073"},
		{"long", append(rec(1), 0), "size 3074 bytes, want a non-zero multiple of 3073"},
		{"label", join(rec(3), rec(10)), "label 10 of record 1 out of range, want 0..9"},
	}
	for _, c := range cases {
		dir := t.TempDir()
		p := filepath.Join(dir, "test_batch.bin")
		writeBytes(t, p, c.data)
		t.Run(c.name, func(t *testing.T) { wantErr(t, "cifar10:"+dir, Options{Split: "test"}, p+": "+c.err) })
	}
	// A bad file later in the train split is found even though earlier ones are fine.
	dir := t.TempDir()
	files := []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
	if err := WriteCIFAR10(dir, files, make([]uint8, 5*3072), make([]uint8, 5)); err != nil {
		t.Fatal(err)
	}
	writeBytes(t, filepath.Join(dir, files[4]), nil)
	wantErr(t, "cifar10:"+dir, Options{}, filepath.Join(dir, files[4])+": size 0 bytes")
}

func TestWriterArgs(t *testing.T) {
	dir := t.TempDir()
	if WriteIDX(dir, "val", nil, nil, 0, 1, 1, false) == nil {
		t.Error("WriteIDX accepted split val")
	}
	if WriteIDX(dir, "train", make([]uint8, 3), []uint8{1}, 1, 2, 2, false) == nil {
		t.Error("WriteIDX accepted 3 bytes for a 2x2 image")
	}
	if WriteCIFAR10(dir, []string{"a.bin"}, make([]uint8, 3071), []uint8{1}) == nil {
		t.Error("WriteCIFAR10 accepted 3071 pixel bytes for one image")
	}
	// The writer's bytes match the format described by hand.
	if err := WriteIDX(dir, "test", []uint8{1, 2, 3, 4, 5, 6}, []uint8{7}, 1, 2, 3, false); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "t10k-images-idx3-ubyte"))
	if w := join(header(0x803, 1, 2, 3), []byte{1, 2, 3, 4, 5, 6}); !bytes.Equal(got, w) {
		t.Errorf("image file % x, want % x", got, w)
	}
	got, _ = os.ReadFile(filepath.Join(dir, "t10k-labels-idx1-ubyte"))
	if w := join(header(0x801, 1), []byte{7}); !bytes.Equal(got, w) {
		t.Errorf("label file % x, want % x", got, w)
	}
}
