package data

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"landscape/internal/fuzzseed"
)

// pixelBytes turns Raw-loaded pixels (byte/255) back into their bytes.
func pixelBytes(t *testing.T, v []float32) []byte {
	b := make([]byte, len(v))
	for i, x := range v {
		r := math.Round(float64(x) * 255)
		if r < 0 || r > 255 || float32(r/255) != x {
			t.Fatalf("pixel %d = %v is no byte/255", i, x)
		}
		b[i] = byte(r)
	}
	return b
}

func idxSeeds() []fuzzseed.Seed {
	img := append(idxHeader(idxImagesMagic, 2, 3, 3), make([]byte, 18)...)
	lbl := append(idxHeader(idxLabelsMagic, 2), 7, 9)
	return []fuzzseed.Seed{
		fuzzseed.New("valid", img, lbl),
		fuzzseed.New("truncated", img[:20], lbl),
		fuzzseed.New("huge-count", append(idxHeader(idxImagesMagic, 1<<31, 1<<16, 1<<16), 1), lbl),
		fuzzseed.New("bad-magic", lbl, img),
		fuzzseed.New("label-10", img, append(idxHeader(idxLabelsMagic, 2), 7, 10)),
		fuzzseed.New("empty", []byte{}, []byte{}),
	}
}

func TestIDXSeeds(t *testing.T) { fuzzseed.Sync(t, "FuzzIDX", idxSeeds()) }

// FuzzIDX: any image and label file contents given to the IDX (MNIST) decoder. Property: no
// panic; counts the headers claim are checked against the bytes present before allocating
// (the set holds at most one pixel per byte of input); a decoded set round-trips: its pixels
// and labels, written back as IDX, are the input bytes.
func FuzzIDX(f *testing.F) {
	fuzzseed.Add(f, idxSeeds())
	f.Fuzz(func(t *testing.T, img, lbl []byte) {
		s, err := decodeIDX("mnist", "img", img, "lbl", lbl, Options{Raw: true})
		if err != nil {
			return
		}
		if len(s.Images) > len(img) {
			t.Fatalf("%d pixels from %d bytes", len(s.Images), len(img))
		}
		back := append(idxHeader(idxImagesMagic, s.N, s.H, s.W), pixelBytes(t, s.Images)...)
		labels := make([]byte, s.N)
		for i, l := range s.Labels {
			labels[i] = byte(l)
		}
		if !bytes.Equal(back, img) || !bytes.Equal(append(idxHeader(idxLabelsMagic, s.N), labels...), lbl) {
			t.Fatal("decoded IDX does not write back as its input")
		}
	})
}

func cifarSeeds() []fuzzseed.Seed {
	rec := make([]byte, cifarRecord)
	rec[0] = 3
	for i := range cifarPixels {
		rec[1+i] = byte(i)
	}
	bad := bytes.Clone(rec)
	bad[0] = 10
	return []fuzzseed.Seed{
		fuzzseed.New("one-record", rec),
		fuzzseed.New("short", rec[:cifarRecord-1]),
		fuzzseed.New("label-10", bad),
		fuzzseed.New("empty", []byte{}),
	}
}

func TestCIFARSeeds(t *testing.T) { fuzzseed.Sync(t, "FuzzCIFAR", cifarSeeds()) }

// FuzzCIFAR: any contents of a CIFAR-10 binary batch (test_batch.bin). Property: no panic; a
// size that is no whole number of records is an error before anything is allocated; a
// decoded set round-trips: its labels and pixels, written back as records, are the file.
func FuzzCIFAR(f *testing.F) {
	fuzzseed.Add(f, cifarSeeds())
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, "test_batch.bin"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Load("cifar10:"+dir, Options{Split: "test", Raw: true})
		if err != nil {
			return
		}
		px := pixelBytes(t, s.Images)
		var back []byte
		for i := range s.N {
			back = append(append(back, byte(s.Labels[i])), px[i*cifarPixels:(i+1)*cifarPixels]...)
		}
		if !bytes.Equal(back, b) {
			t.Fatal("decoded CIFAR batch does not write back as its input")
		}
	})
}

func imageSeeds() []fuzzseed.Seed {
	enc := func(im image.Image, jpg bool) []byte {
		var b bytes.Buffer
		if jpg {
			jpeg.Encode(&b, im, &jpeg.Options{Quality: 90})
		} else {
			png.Encode(&b, im)
		}
		return b.Bytes()
	}
	gray := image.NewGray(image.Rect(0, 0, 5, 4))
	rgb := image.NewNRGBA(image.Rect(0, 0, 4, 3))
	pal := image.NewPaletted(image.Rect(0, 0, 3, 3), color.Palette{color.Black, color.White, color.NRGBA{255, 0, 0, 255}})
	for i := range gray.Pix {
		gray.Pix[i] = byte(13 * i)
	}
	for i := range rgb.Pix {
		rgb.Pix[i] = byte(29 * i)
	}
	pal.Pix[4] = 2
	huge := enc(image.NewGray(image.Rect(0, 0, 1, 1)), false)
	copy(huge[16:24], []byte{0, 1, 0, 0, 0, 1, 0, 0}) // IHDR: 65536×65536
	binary.BigEndian.PutUint32(huge[29:], crc32.ChecksumIEEE(huge[12:29]))
	g := enc(gray, false)
	zeroWide := enc(rgb, true)
	sof := bytes.Index(zeroWide, []byte{0xff, 0xc0})
	copy(zeroWide[sof+7:sof+9], []byte{0, 0}) // SOF0 width 0: decodes to an empty image
	return []fuzzseed.Seed{
		fuzzseed.New("gray-png", g),
		fuzzseed.New("rgba-png", enc(rgb, false)),
		fuzzseed.New("palette-png", enc(pal, false)),
		fuzzseed.New("jpeg", enc(rgb, true)),
		fuzzseed.New("huge-claim-png", huge),
		fuzzseed.New("cut-png", g[:len(g)/2]),
		fuzzseed.New("empty", []byte{}),
		fuzzseed.New("zero-width-jpeg", zeroWide),
	}
}

func TestImageSeeds(t *testing.T) { fuzzseed.Sync(t, "FuzzImageFolder", imageSeeds()) }

// FuzzImageFolder: any contents of the one image of an imagefolder (PNG or JPEG, found by
// its magic). Property: no panic; an image header claiming more pixels than a file of its
// size can hold is an error before the decoder allocates them (at most maxPixelsPerByte
// pixels per byte); a decoded image round-trips: its pixels, written as a PNG and loaded
// again, are the same.
func FuzzImageFolder(f *testing.F) {
	fuzzseed.Add(f, imageSeeds())
	root := f.TempDir()
	os.MkdirAll(filepath.Join(root, "a"), 0o755)
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(root, "a", "x.png")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Load("imagefolder:"+root, Options{Raw: true})
		if err != nil {
			return
		}
		if s.H*s.W > maxPixelsPerByte*max(len(b), 64) {
			t.Fatalf("%dx%d pixels from %d bytes", s.W, s.H, len(b))
		}
		os.WriteFile(path, setPNG(t, s), 0o644)
		s2, err := Load("imagefolder:"+root, Options{Raw: true})
		if err != nil || s2.C != s.C || !slicesEqual(s2.Images, s.Images) {
			t.Fatalf("written back as PNG: %v", err)
		}
	})
}

// setPNG encodes the first image of a Raw-loaded set (1 or 3 channels) as a PNG.
func setPNG(t *testing.T, s *Set) []byte {
	px := pixelBytes(t, s.Images[:s.C*s.H*s.W])
	var im image.Image
	if s.C == 1 {
		im = &image.Gray{Pix: px, Stride: s.W, Rect: image.Rect(0, 0, s.W, s.H)}
	} else {
		m := image.NewNRGBA(image.Rect(0, 0, s.W, s.H))
		for i := range s.H * s.W {
			m.Pix[4*i], m.Pix[4*i+1], m.Pix[4*i+2], m.Pix[4*i+3] = px[i], px[s.H*s.W+i], px[2*s.H*s.W+i], 255
		}
		im = m
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, im); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func slicesEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func npzDataSeeds(t testing.TB) []fuzzseed.Seed {
	path := filepath.Join(t.TempDir(), "d.npz")
	if err := WriteNPZ(path, []uint8{0, 1, 2, 3, 4, 5, 6, 7}, 2, 1, 2, 2, []int64{0, 1}); err != nil {
		t.Fatal(err)
	}
	u8, _ := os.ReadFile(path)
	if err := WriteNPZ(path, []float32{0, 0.5, 1, 0.25}, 1, 1, 2, 2, []int64{3}); err != nil {
		t.Fatal(err)
	}
	f32, _ := os.ReadFile(path)
	flipped := bytes.Clone(u8)
	flipped[bytes.Index(flipped, []byte{4, 5, 6})] ^= 1
	return []fuzzseed.Seed{
		fuzzseed.New("uint8", u8),
		fuzzseed.New("float32", f32),
		fuzzseed.New("crc-flipped", flipped),
		fuzzseed.New("cut", u8[:len(u8)-30]),
	}
}

func TestNPZDataSeeds(t *testing.T) { fuzzseed.Sync(t, "FuzzNPZData", npzDataSeeds(t)) }

// FuzzNPZData: any file given as --data npz:FILE. Property: no panic; a damaged member is an
// error; the set holds at most as many values as the archive can encode (1032 bytes per
// byte: deflate's limit); labels are valid class indices.
func FuzzNPZData(f *testing.F) {
	fuzzseed.Add(f, npzDataSeeds(f))
	path := filepath.Join(f.TempDir(), "d.npz")
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Load("npz:"+path, Options{Split: "test"})
		if err != nil {
			return
		}
		if len(s.Images) > 1032*len(b) || len(s.Labels) != s.N || s.N*s.C*s.H*s.W != len(s.Images) {
			t.Fatalf("%d values, %d labels, %dx%dx%dx%d from %d bytes", len(s.Images), len(s.Labels), s.N, s.C, s.H, s.W, len(b))
		}
		for _, l := range s.Labels {
			if l < 0 || int(l) >= s.Classes {
				t.Fatalf("label %d of %d classes", l, s.Classes)
			}
		}
	})
}
