// Package data loads labelled image datasets (Fashion-MNIST, MNIST and CIFAR-10 in their
// original binary formats, numpy .npz arrays, folders of PNG/JPEG images as torchvision's
// ImageFolder) into memory as normalised float32 tensors in NCHW order, and writes fixture
// files in those formats.
package data

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strings"
)

// Set is a labelled image set in memory: float32 pixels in NCHW order, normalised.
type Set struct {
	Name       string    // human-readable, e.g. "fashion-mnist:/usr/share/datasets/fashion-mnist (test)"
	N, C, H, W int       // examples, channels, rows, columns
	Images     []float32 // len N*C*H*W, image i at Images[i*C*H*W:(i+1)*C*H*W]
	Labels     []int32   // len N, each in [0, Classes)
	Classes    int       // 10 for the built-in kinds, max label + 1 for npz, class folders for imagefolder
	Black      []float32 // per channel: the value a black (0) pixel has after normalisation (padding for augmentation)
}

// blackLevels returns each channel's normalised value of the byte 0.
func blackLevels(tab [][256]float32) []float32 {
	out := make([]float32, len(tab))
	for c := range tab {
		out[c] = tab[c][0]
	}
	return out
}

// Image returns the C*H*W pixels of image i, sharing memory with s.
func (s *Set) Image(i int) []float32 {
	d := s.C * s.H * s.W
	return s.Images[i*d : (i+1)*d : (i+1)*d]
}

// Slice returns a view of examples [lo,hi) that shares memory with s.
// It panics if the bounds are out of range.
func (s *Set) Slice(lo, hi int) *Set {
	if lo < 0 || hi < lo || hi > s.N {
		panic(fmt.Sprintf("data: Slice(%d, %d) out of range for %d examples", lo, hi, s.N))
	}
	d := s.C * s.H * s.W
	v := *s
	v.Name = fmt.Sprintf("%s[%d:%d]", s.Name, lo, hi)
	v.N = hi - lo
	v.Images = s.Images[lo*d : hi*d : hi*d]
	v.Labels = s.Labels[lo:hi:hi]
	return &v
}

// Options selects what Load reads and how it scales pixels.
type Options struct {
	Split string // "train" or "test" (empty means "train")
	Limit int    // >0: keep the first Limit examples in file order
	Raw   bool   // true: pixels scaled to [0,1] only, no mean/std normalisation
	// Normalize, when set, replaces the kind's normalisation (none for npz and imagefolder)
	// by (x − mean)/std per channel; it contradicts Raw.
	Normalize *Stats
	// Channels, when non-zero, is the channel count wanted: imagefolder converts images to it
	// as PIL's convert("L") or convert("RGB") would; other kinds must already have it.
	Channels int
	// Geometry (--resize, --center-crop) transforms each image of an imagefolder before it is
	// converted to Channels; other kinds refuse it.
	Geometry
}

// Check checks the options that need no file, naming their flags: the split (empty means
// train), the limit and the geometry.
func (o Options) Check() error {
	if o.Split != "" {
		if err := CheckSplit("--split", o.Split); err != nil {
			return err
		}
	}
	if o.Limit < 0 {
		return fmt.Errorf("--limit %d: want 0 (all) or a positive count", o.Limit)
	}
	return o.Geometry.validate()
}

// Kinds lists the dataset kinds Load understands.
func Kinds() []string { return []string{"fashion-mnist", "mnist", "cifar10", "npz", "imagefolder"} }

// Load reads the dataset named by spec, which has the form "KIND:PATH" where
// KIND is one of Kinds and PATH is the directory holding the files.
func Load(spec string, opt Options) (*Set, error) {
	kind, dir, ok := strings.Cut(spec, ":")
	if !ok || kind == "" || dir == "" {
		return nil, fmt.Errorf("data: --data %q: expected KIND:PATH", spec)
	}
	if err := opt.Check(); err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	split := cmp.Or(opt.Split, "train")
	if opt.Geometry != (Geometry{}) && kind != "imagefolder" {
		return nil, fmt.Errorf("data: %s: --data %s: its images are tensors of one size already; only imagefolder takes them through --resize and --center-crop", opt.Geometry, spec)
	}
	var (
		s   *Set
		err error
	)
	switch kind {
	case "fashion-mnist", "mnist":
		s, err = loadIDX(kind, dir, split, opt)
	case "cifar10":
		s, err = loadCIFAR(dir, split, opt)
	case "npz":
		s, err = loadNPZ(dir, split, opt)
	case "imagefolder":
		s, err = loadImageFolder(dir, opt)
	default:
		return nil, fmt.Errorf("data: unknown kind %q in --data %q (want %s)", kind, spec, strings.Join(Kinds(), ", "))
	}
	if err != nil {
		return nil, err
	}
	if opt.Channels != 0 && s.C != opt.Channels {
		return nil, fmt.Errorf("data: --data %s holds %d-channel images but %d channels are wanted: convert them (only imagefolder converts, as PIL does)", spec, s.C, opt.Channels)
	}
	s.Name = fmt.Sprintf("%s:%s (%s)", kind, dir, split)
	return s, nil
}

// SHA256 is the hex SHA-256 of the set's contents (shape, normalised pixels and labels, in
// little-endian bytes): two sets hash alike only when a scan over them computes the same thing.
func (s *Set) SHA256() string {
	h := sha256.New()
	buf := make([]byte, 0, 1<<16)
	for _, v := range []int{s.N, s.C, s.H, s.W, s.Classes} {
		buf = binary.LittleEndian.AppendUint64(buf, uint64(v))
	}
	for _, v := range s.Images {
		if len(buf)+4 > cap(buf) {
			h.Write(buf)
			buf = buf[:0]
		}
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
	}
	for _, v := range s.Labels {
		if len(buf)+4 > cap(buf) {
			h.Write(buf)
			buf = buf[:0]
		}
		buf = binary.LittleEndian.AppendUint32(buf, uint32(v))
	}
	h.Write(buf)
	return hex.EncodeToString(h.Sum(nil))
}
