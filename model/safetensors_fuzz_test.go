package model

import (
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"testing"

	"landscape/internal/fuzzseed"
)

func safetensorsSeeds(t testing.TB) []fuzzseed.Seed {
	w := NewWeights()
	w.Add(&Tensor{Name: "conv.weight", Shape: []int{2, 1, 1, 2}, Data: []float32{1, -2, 3.5, float32(math.Inf(1))}})
	w.Add(&Tensor{Name: "bn.num_batches_tracked", Shape: []int{}, Data: []float32{7}})
	w.Add(&Tensor{Name: "empty", Shape: []int{0, 3}, Data: nil})
	good, err := EncodeSafetensors(w, map[string]string{"norm": "filter"})
	if err != nil {
		t.Fatal(err)
	}
	hdr := func(js string, body ...byte) []byte {
		return append(append(binary.LittleEndian.AppendUint64(nil, uint64(len(js))), js...), body...)
	}
	return []fuzzseed.Seed{
		fuzzseed.New("valid", good),
		fuzzseed.New("f64", hdr(`{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}`, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f)),
		fuzzseed.New("overflowing-shape", hdr(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}`)),
		fuzzseed.New("offsets-outside", hdr(`{"a":{"dtype":"F32","shape":[1000000],"data_offsets":[0,4000000]}}`, 1, 2, 3, 4)),
		fuzzseed.New("huge-header-length", binary.LittleEndian.AppendUint64(nil, 1<<60)),
		fuzzseed.New("cut", good[:len(good)-3]),
		fuzzseed.New("bad-json", hdr(`{"a":`)),
	}
}

func TestSafetensorsSeeds(t *testing.T) {
	fuzzseed.Sync(t, "FuzzSafetensors", safetensorsSeeds(t))
}

// FuzzSafetensors: any bytes as a safetensors file (weights, checkpoints, directions files).
// Property: no panic; no tensor holds more elements than the file's bytes encode (allocation
// bounded by the input's size); a decoded file round-trips: encoded again and decoded, it
// has the same tensors in the same order, bit for bit, and the same metadata.
func FuzzSafetensors(f *testing.F) {
	fuzzseed.Add(f, safetensorsSeeds(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, meta, err := DecodeSafetensors("fuzz.safetensors", b)
		if err != nil {
			return
		}
		total := 0
		for _, n := range w.Names {
			total += len(w.Tensors[n].Data)
		}
		if 4*total > len(b) {
			t.Fatalf("%d elements from %d bytes", total, len(b))
		}
		enc, err := EncodeSafetensors(w, meta)
		if err != nil {
			t.Fatal(err)
		}
		w2, meta2, err := DecodeSafetensors("again.safetensors", enc)
		if err != nil {
			t.Fatalf("re-encoded file: %v", err)
		}
		if !slices.Equal(w.Names, w2.Names) || len(meta) != len(meta2) {
			t.Fatalf("names %v then %v; metadata %v then %v", w.Names, w2.Names, meta, meta2)
		}
		for k, v := range meta {
			if meta2[k] != v {
				t.Fatalf("metadata %q: %q then %q", k, v, meta2[k])
			}
		}
		for _, n := range w.Names {
			a, c := w.Tensors[n], w2.Tensors[n]
			if !slices.Equal(a.Shape, c.Shape) || len(a.Data) != len(c.Data) {
				t.Fatalf("%s: shape %v then %v", n, a.Shape, c.Shape)
			}
			for i, v := range a.Data {
				if strings.HasSuffix(n, "num_batches_tracked") && (v != float32(math.Trunc(float64(v))) || math.Abs(float64(v)) >= 1<<62) {
					continue // stored as I64: only integers round-trip
				}
				if math.Float32bits(v) != math.Float32bits(c.Data[i]) {
					t.Fatalf("%s[%d]: %v then %v", n, i, v, c.Data[i])
				}
			}
		}
	})
}
