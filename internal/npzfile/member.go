package npzfile

import (
	"archive/zip"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
)

// ErrDamaged is what every damaged-member error matches (errors.Is): a CRC-32 mismatch, a
// member whose compressed stream is corrupt, or one that extends past the end of the file.
var ErrDamaged = errors.New("the file is damaged")

// DamagedError says that a member of an archive is damaged. Err is nil for a CRC-32 mismatch
// (the bytes read are not the bytes written), else what the zip reader found.
type DamagedError struct {
	Path, Member string
	Err          error
}

func (e *DamagedError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("%s: %s: CRC mismatch, the file is damaged", e.Path, e.Member)
	}
	return fmt.Sprintf("%s: %s: %v: the file is damaged", e.Path, e.Member, e.Err)
}

func (e *DamagedError) Unwrap() error { return e.Err }

// Is makes every DamagedError match ErrDamaged.
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

// maxDeflateRatio bounds a deflated member's uncompressed size by its compressed size
// (deflate's largest expansion is 1032:1; the slack covers tiny members).
const maxDeflateRatio = 1032

// member reads one zip member, computing its CRC-32 as it goes; verify reads the rest and
// compares the checksum with the one the archive records. archive/zip checks the CRC only
// when a reader reads to EOF, and only when the recorded CRC is not zero; verify always does.
type member struct {
	f    *File
	m    *zip.File
	rc   io.ReadCloser
	crc  hash.Hash32
	left int64 // uncompressed bytes not yet read
}

// openMember opens m after checking that its recorded sizes fit the archive: its compressed
// data lies inside the file, a stored member's two sizes agree, and a deflated member's
// uncompressed size is one deflate can reach. Nothing is allocated from the claimed sizes.
func (f *File) openMember(m *zip.File) (*member, error) {
	damaged := func(format string, a ...any) error {
		return &DamagedError{Path: f.path, Member: m.Name, Err: fmt.Errorf(format, a...)}
	}
	off, err := m.DataOffset()
	if err != nil {
		return nil, damaged("%v", err)
	}
	if m.CompressedSize64 > uint64(f.size) || uint64(off) > uint64(f.size)-m.CompressedSize64 {
		return nil, damaged("its %d bytes extend past the end of the file (%d bytes)", m.CompressedSize64, f.size)
	}
	switch m.Method {
	case zip.Store:
		if m.UncompressedSize64 != m.CompressedSize64 {
			return nil, damaged("stored with sizes %d and %d", m.CompressedSize64, m.UncompressedSize64)
		}
	case zip.Deflate:
		if m.UncompressedSize64/maxDeflateRatio > m.CompressedSize64 {
			return nil, damaged("%d compressed bytes cannot hold %d", m.CompressedSize64, m.UncompressedSize64)
		}
	default:
		return nil, fmt.Errorf("%s: %s: compression method %d; numpy writes stored or deflated members", f.path, m.Name, m.Method)
	}
	rc, err := m.Open()
	if err != nil {
		return nil, damaged("%v", err)
	}
	return &member{f: f, m: m, rc: rc, crc: crc32.NewIEEE(), left: int64(m.UncompressedSize64)}, nil
}

func (r *member) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	r.crc.Write(p[:n])
	r.left -= int64(n)
	switch {
	case err == nil || err == io.EOF:
		return n, err
	case errors.Is(err, zip.ErrChecksum):
		return n, &DamagedError{Path: r.f.path, Member: r.m.Name}
	default:
		return n, &DamagedError{Path: r.f.path, Member: r.m.Name, Err: err}
	}
}

// verify reads the member to its end and checks its length and CRC-32.
func (r *member) verify() error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	if r.left != 0 {
		return &DamagedError{Path: r.f.path, Member: r.m.Name, Err: fmt.Errorf("%d bytes short", r.left)}
	}
	if r.crc.Sum32() != r.m.CRC32 {
		return &DamagedError{Path: r.f.path, Member: r.m.Name}
	}
	return nil
}

func (r *member) Close() error { return r.rc.Close() }
