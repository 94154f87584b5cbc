package remote

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"testing"

	"landscape/engine"
	"landscape/internal/fuzzseed"
	"landscape/model"
)

// The worker protocol's fuzz fixture: a tiny network's weights, which problem requests name.
const (
	fuzzModel = "resnet8-c1"
	fuzzBase  = "testdata/fuzz-base.safetensors"
)

var fuzzConfig = model.Config{InC: 1, HW: 4, Classes: 2}

// stubEngine answers every evaluation with zeros: FuzzServe exercises the protocol, not an
// engine.
type stubEngine struct{}

func (stubEngine) Name() string { return "stub" }
func (stubEngine) Evaluate(_ context.Context, pts []engine.Point, lo, hi int) ([]engine.Sums, error) {
	return make([]engine.Sums, len(pts)), nil
}
func (stubEngine) Close() error { return nil }

func line(t testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func serveSeeds(t testing.TB) []fuzzseed.Seed {
	if os.Getenv("LANDSCAPE_WRITE_FUZZ_SEEDS") == "1" {
		n, err := model.Build(fuzzModel, fuzzConfig)
		if err != nil {
			t.Fatal(err)
		}
		if err := model.WriteSafetensors(fuzzBase, model.Init(n, 1), nil); err != nil {
			t.Fatal(err)
		}
	}
	problem := func(n int) []byte {
		b := line(t, Request{Op: "problem", Model: fuzzModel, Config: fuzzConfig, Base: fuzzBase, Precision: "fp32",
			Data: &DataHeader{Name: "d", N: n, C: 1, H: 4, W: 4, Classes: 2}})
		for i := range n * 16 {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(i)/10))
		}
		for i := range n {
			b = binary.LittleEndian.AppendUint32(b, uint32(i%2))
		}
		return b
	}
	eval := line(t, Request{Op: "eval", Lo: 0, Hi: 2, A: []uint64{0, math.Float64bits(0.5)}, B: []uint64{0, math.Float64bits(-1)}})
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	return []fuzzseed.Seed{
		fuzzseed.New("problem-eval-close", cat(problem(2), eval, line(t, Request{Op: "close"}))),
		fuzzseed.New("eval-before-problem", eval),
		fuzzseed.New("alpha-without-beta", cat(problem(2), line(t, Request{Op: "eval", Lo: 0, Hi: 2, A: []uint64{1, 2}}))),
		fuzzseed.New("images-out-of-range", cat(problem(2), line(t, Request{Op: "eval", Lo: 1, Hi: 9, A: []uint64{1}, B: []uint64{1}}))),
		fuzzseed.New("huge-data-header", line(t, Request{Op: "problem", Model: fuzzModel, Config: fuzzConfig, Base: fuzzBase,
			Data: &DataHeader{N: 1 << 30, C: 1 << 16, H: 1 << 16, W: 1 << 16}})),
		fuzzseed.New("truncated-data", problem(2)[:200]),
		fuzzseed.New("not-json", []byte("{\"op\":\n")),
	}
}

func TestServeSeeds(t *testing.T) { fuzzseed.Sync(t, "FuzzServe", serveSeeds(t)) }

// trusted reports whether every request line of in names only the fixture's network and
// weights: the file paths and model names of requests come from the client (landscape
// itself), and a fuzzed path could name /dev/zero or a model of a million layers.
func trusted(in []byte) bool {
	for _, l := range bytes.Split(in, []byte("\n")) {
		var req Request
		if json.Unmarshal(l, &req) != nil {
			continue
		}
		for _, f := range []string{req.Base, req.DX, req.DY} {
			if f != "" && f != fuzzBase {
				return false
			}
		}
		if req.Graph != "" || (req.Model != "" && req.Model != fuzzModel) {
			return false
		}
	}
	return true
}

// FuzzServe: any byte stream from the client to a worker (gpu/remote.Serve: JSON request
// lines, the raw images and labels after a problem request). Property: no panic and no hang
// (Serve returns at the end of the stream); the worker answers in well-formed protocol lines
// (a hello, then one JSON reply per request), an error reply for a bad request; memory for
// the data grows with the bytes that arrive, not with the size a header claims.
func FuzzServe(f *testing.F) {
	fuzzseed.Add(f, serveSeeds(f))
	open := func(*engine.Problem, string) (engine.Engine, error) { return stubEngine{}, nil }
	f.Fuzz(func(t *testing.T, in []byte) {
		if !trusted(in) {
			t.Skip("a request names a file or network other than the fixture's")
		}
		var out bytes.Buffer
		Serve(bytes.NewReader(in), &out, Hello{OK: true, Devices: 1}, 0, open)
		sc := bufio.NewScanner(&out)
		sc.Buffer(nil, 1<<26)
		for i := 0; sc.Scan(); i++ {
			var v map[string]any
			if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
				t.Fatalf("answer %d is not JSON: %q", i, sc.Bytes())
			}
			if i == 0 && v["proto"] != Proto {
				t.Fatalf("first line %q is no hello", sc.Bytes())
			}
			if ok, _ := v["ok"].(bool); i > 0 && !ok && v["error"] == "" {
				t.Fatalf("answer %d: an error without a message: %q", i, sc.Bytes())
			}
		}
	})
}
