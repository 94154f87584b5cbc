// Package remote runs engines in worker processes (cmd/landscape-gpu, one per GPU) and talks to
// them over their stdin/stdout, so that the landscape binary never links the CUDA driver
// (gorgonia.org/cu ends a process whose cuInit fails) and a GPU fault kills a worker, not the scan.
//
// The protocol, version "landscape-gpu/1", is line-oriented JSON, each line one message:
//
//	worker → client   hello: {"proto":"landscape-gpu/1","ok":true,"devices":2,"name":"NVIDIA H100"}
//	                  or {"proto":…,"ok":false,"error":"…"} and exit. Anything else on the first
//	                  line (cuInit's message) is the reason the worker could not start.
//	client → worker   {"op":"problem","model":"resnet56","config":{…},"base":FILE,"dx":FILE,
//	                  "dy":FILE,"precision":"tf32","data":{"n":…,"c":…,"h":…,"w":…,…}}
//	                  followed by the images (n·c·h·w float32) and the labels (n int32), raw
//	                  little-endian; the weights travel as safetensors files the client wrote.
//	                  An imported network adds "graph":FILE (its ONNX file, loaded by the worker).
//	worker → client   {"ok":true,"name":"gpu0 (…)","points":K,"images":B,"squares":true}
//	client → worker   {"op":"eval","lo":0,"hi":512,"a":[…],"b":[…]}
//	worker → client   {"ok":true,"loss":[…],"loss_sq":[…],"correct":[…]}
//	                  or {"ok":false,"error":"…"}, with "fatal":true when the device is unusable
//	                  (a sticky CUDA error): the worker then exits, and the client may start a new one.
//	client → worker   {"op":"close"} (or end of input): the worker exits.
//
// "squares" says the worker's engine returns Σ ℓ² per point (engine.Squares), and then every
// eval answer carries "loss_sq". Both fields are optional, so the version did not change: a
// worker built before them answers without them, its engine then lacks engine.Squares, and a
// --tolerance scan on it is refused (scan: the error says to rebuild the worker) rather than
// given zero variances; exact scans work on it as before. A client built before them ignores them.
//
// Floating-point values that must survive exactly (coordinates, loss sums, which may be NaN
// or infinite) travel as the bits of their float64 (math.Float64bits).
package remote

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"

	"landscape/model"
)

// Proto names the protocol version; both sides must agree.
const Proto = "landscape-gpu/1"

// Hello is the worker's first line.
type Hello struct {
	Proto   string `json:"proto"`
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
	Devices int    `json:"devices,omitempty"` // devices the worker's engine can use
	Name    string `json:"name,omitempty"`    // this worker's device
}

// DataHeader describes the images and labels that follow a problem request.
type DataHeader struct {
	Name    string `json:"name"`
	N       int    `json:"n"`
	C       int    `json:"c"`
	H       int    `json:"h"`
	W       int    `json:"w"`
	Classes int    `json:"classes"`
}

// Request is a client → worker message.
type Request struct {
	Op string `json:"op"` // "problem", "eval" or "close"

	Model     string       `json:"model,omitempty"`
	Graph     string       `json:"graph,omitempty"` // an imported network's graph file (absolute), which the worker loads
	Config    model.Config `json:"config"`
	Base      string       `json:"base,omitempty"` // safetensors files
	DX        string       `json:"dx,omitempty"`
	DY        string       `json:"dy,omitempty"`
	Precision string       `json:"precision,omitempty"`
	Data      *DataHeader  `json:"data,omitempty"`

	Lo int      `json:"lo"`
	Hi int      `json:"hi"`
	A  []uint64 `json:"a,omitempty"` // float64 bits of each point's α
	B  []uint64 `json:"b,omitempty"` // and β
}

// Reply is a worker → client answer to a request.
type Reply struct {
	OK      bool     `json:"ok"`
	Error   string   `json:"error,omitempty"`
	Name    string   `json:"name,omitempty"`
	Points  int      `json:"points,omitempty"` // the engine's Capacity, 0 when it has none
	Images  int      `json:"images,omitempty"`
	Squares bool     `json:"squares,omitempty"` // problem answer: eval answers carry LossSq
	Loss    []uint64 `json:"loss,omitempty"`    // float64 bits of each point's loss sum
	LossSq  []uint64 `json:"loss_sq,omitempty"` // float64 bits of each point's Σ ℓ² (when Squares)
	Correct []int64  `json:"correct,omitempty"`
	Fatal   bool     `json:"fatal,omitempty"` // the device is unusable (a sticky CUDA error): the worker exits after this answer
}

// writeLine writes v as one JSON line.
func writeLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// readLine reads one line (without its newline); lines are at most a few MB (eval replies).
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadBytes('\n')
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			return line, io.ErrUnexpectedEOF
		}
		return line, err
	}
	return line[:len(line)-1], nil
}

const chunk = 1 << 16

// writeFloat32s writes s as raw little-endian float32.
func writeFloat32s(w io.Writer, s []float32) error {
	buf := make([]byte, 4*min(len(s), chunk))
	for len(s) > 0 {
		n := min(len(s), chunk)
		for i, v := range s[:n] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		if _, err := w.Write(buf[:4*n]); err != nil {
			return err
		}
		s = s[n:]
	}
	return nil
}

// writeInt32s writes s as raw little-endian int32.
func writeInt32s(w io.Writer, s []int32) error {
	buf := make([]byte, 4*min(len(s), chunk))
	for len(s) > 0 {
		n := min(len(s), chunk)
		for i, v := range s[:n] {
			binary.LittleEndian.PutUint32(buf[4*i:], uint32(v))
		}
		if _, err := w.Write(buf[:4*n]); err != nil {
			return err
		}
		s = s[n:]
	}
	return nil
}

// readWords fills n 32-bit little-endian words through put.
func readWords(r io.Reader, n int, put func(i int, u uint32)) error {
	buf := make([]byte, 4*min(n, chunk))
	for i := 0; i < n; {
		m := min(n-i, chunk)
		if _, err := io.ReadFull(r, buf[:4*m]); err != nil {
			return fmt.Errorf("reading data: %w", err)
		}
		for j := range m {
			put(i+j, binary.LittleEndian.Uint32(buf[4*j:]))
		}
		i += m
	}
	return nil
}
