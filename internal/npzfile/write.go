package npzfile

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// NPY returns a version-1.0 .npy file as numpy.save writes it: magic, version, header
// length, the dict {'descr', 'fortran_order', 'shape'} padded with spaces so that the data
// starts at a multiple of 64 bytes, then data (not checked against the shape: tests build
// broken files with it too).
func NPY(descr string, fortran bool, shape []int, data []byte) []byte {
	sh := ShapeString(shape)
	if len(shape) == 0 {
		sh = "()"
	}
	order := map[bool]string{false: "False", true: "True"}[fortran]
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, order, sh)
	dict += strings.Repeat(" ", (64-(10+len(dict)+1)%64)%64) + "\n"
	b := binary.LittleEndian.AppendUint16([]byte("\x93NUMPY\x01\x00"), uint16(len(dict)))
	return append(append(b, dict...), data...)
}

// Member is one file of a zip archive.
type Member struct {
	Name string
	Data []byte
}

// Zip returns an archive of the members in order, each stored (zip.Store, as numpy.savez)
// or deflated (zip.Deflate, as numpy.savez_compressed).
func Zip(method uint16, members ...Member) []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, m := range members {
		w, err := z.CreateHeader(&zip.FileHeader{Name: m.Name, Method: method})
		if err != nil {
			panic(err) // only for a method archive/zip does not know
		}
		w.Write(m.Data)
	}
	z.Close()
	return buf.Bytes()
}
