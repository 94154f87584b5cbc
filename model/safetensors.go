package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON mapping each
// tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets into the data that
// follows), and an optional "__metadata__" map of strings. F32 tensors are read as they are;
// F64 and the I64 of batch norm's num_batches_tracked are converted to float32.

type stEntry struct {
	DType   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

const maxHeader = 100 << 20

// ReadSafetensors reads every tensor of a safetensors file, in the order of their data.
func ReadSafetensors(path string) (*Weights, map[string]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return DecodeSafetensors(path, raw)
}

// DecodeSafetensors decodes the contents raw of a safetensors file (path names it in
// errors). Every size the header claims is checked against the bytes present before
// anything is allocated: each tensor's data offsets lie in the file and span exactly its
// shape's bytes (the element count computed without overflow).
func DecodeSafetensors(path string, raw []byte) (*Weights, map[string]string, error) {
	bad := func(f string, a ...any) error {
		return fmt.Errorf("%s: not a valid safetensors file: %s", path, fmt.Sprintf(f, a...))
	}
	if len(raw) < 8 {
		return nil, nil, bad("%d bytes, too short for the 8-byte header length", len(raw))
	}
	n := binary.LittleEndian.Uint64(raw)
	if n > maxHeader || n > uint64(len(raw)-8) {
		return nil, nil, bad("header length %d exceeds the file (%d bytes)", n, len(raw))
	}
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &hdr); err != nil {
		return nil, nil, bad("header JSON: %v", err)
	}
	body := raw[8+n:]
	meta := map[string]string{}
	type item struct {
		name string
		e    stEntry
	}
	var items []item
	for name, msg := range hdr {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &meta); err != nil {
				return nil, nil, bad("__metadata__: %v", err)
			}
			continue
		}
		var e stEntry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, nil, bad("tensor %q: %v", name, err)
		}
		items = append(items, item{name, e})
	}
	sort.Slice(items, func(i, j int) bool { // by begin, then end: an empty tensor before the one it starts
		a, b := items[i].e.Offsets, items[j].e.Offsets
		if a != b {
			return a[0] < b[0] || a[0] == b[0] && a[1] < b[1]
		}
		return items[i].name < items[j].name
	})
	w := NewWeights()
	for _, it := range items {
		t, err := decodeTensor(it.name, it.e, body)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		w.Add(t)
	}
	return w, meta, nil
}

func decodeTensor(name string, e stEntry, body []byte) (*Tensor, error) {
	size := map[string]int{"F32": 4, "F64": 8, "I64": 8}[e.DType]
	if size == 0 {
		return nil, fmt.Errorf("tensor %q has dtype %s, want F32 (or F64, or I64 for num_batches_tracked)", name, e.DType)
	}
	count := 1
	for _, d := range e.Shape {
		if d < 0 {
			return nil, fmt.Errorf("tensor %q: negative dimension in shape %v", name, e.Shape)
		}
		if d > 0 && count > math.MaxInt/size/d { // Numel would wrap around
			return nil, fmt.Errorf("tensor %q: shape %v has too many elements", name, e.Shape)
		}
		count *= d
	}
	b, end := e.Offsets[0], e.Offsets[1]
	if b < 0 || end < b || end > int64(len(body)) {
		return nil, fmt.Errorf("tensor %q: data offsets [%d, %d] outside the %d data bytes (file truncated?)", name, b, end, len(body))
	}
	if end-b != int64(count*size) {
		return nil, fmt.Errorf("tensor %q: shape %s of %s needs %d bytes, data offsets give %d", name, ShapeString(e.Shape), e.DType, count*size, end-b)
	}
	data := body[b:end]
	t := &Tensor{Name: name, Shape: e.Shape, Data: make([]float32, count)}
	if t.Shape == nil {
		t.Shape = []int{}
	}
	for i := range count {
		switch e.DType {
		case "F32":
			t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		case "F64":
			t.Data[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:])))
		case "I64":
			t.Data[i] = float32(int64(binary.LittleEndian.Uint64(data[8*i:])))
		}
	}
	return t, nil
}

// WriteSafetensors writes w (F32; entries ending in num_batches_tracked as I64, as PyTorch
// stores them) to path atomically: a temporary file in the same directory, then a rename.
func WriteSafetensors(path string, w *Weights, meta map[string]string) error {
	b, err := EncodeSafetensors(w, meta)
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, b)
}

// EncodeSafetensors returns the safetensors file WriteSafetensors writes.
func EncodeSafetensors(w *Weights, meta map[string]string) ([]byte, error) {
	hdr := map[string]any{}
	if len(meta) > 0 {
		hdr["__metadata__"] = meta
	}
	var body []byte
	for _, name := range w.Names {
		t := w.Tensors[name]
		e := stEntry{DType: "F32", Shape: t.Shape, Offsets: [2]int64{int64(len(body)), 0}}
		if e.Shape == nil {
			e.Shape = []int{}
		}
		if strings.HasSuffix(name, "num_batches_tracked") {
			e.DType = "I64"
			for _, v := range t.Data {
				body = binary.LittleEndian.AppendUint64(body, uint64(int64(v)))
			}
		} else {
			body = slices.Grow(body, 4*len(t.Data))
			for _, v := range t.Data {
				body = binary.LittleEndian.AppendUint32(body, math.Float32bits(v))
			}
		}
		e.Offsets[1] = int64(len(body))
		hdr[name] = e
	}
	js, err := json.Marshal(hdr)
	if err != nil {
		return nil, err
	}
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	var out bytes.Buffer
	binary.Write(&out, binary.LittleEndian, uint64(len(js)))
	out.Write(js)
	out.Write(body)
	return out.Bytes(), nil
}

// WriteFileAtomic replaces path with data so that readers see the old or the new file, never a
// partial one, even if the process is killed: it writes and syncs a temporary file in the same
// directory and renames it over path.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}
