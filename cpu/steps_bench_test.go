//go:build linux

package cpu

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"landscape/direction"
	"landscape/engine"
	"landscape/model"
)

// BenchmarkSteps times each step of one engine's forward pass: the thread CPU time
// (CLOCK_THREAD_CPUTIME_ID, so that other processes on a shared machine count less than in
// wall-clock time) between the engine's onStep calls, summed over b.N passes of 16 images of
// the ONNX file or zoo network $LANDSCAPE_STEPS_ONNX at $LANDSCAPE_STEPS_HW pixels a side
// (224 when unset; skipped when the network is unset), in float32 and bfloat16. It logs one line per step (index, kind, layer, ms per 16 images, share) with -v,
// a developer's tool for finding the slow layers:
//
//	LANDSCAPE_STEPS_ONNX=/tmp/resnet18.onnx go test ./cpu -run XXX -bench Steps -benchtime 10x -v
//	LANDSCAPE_STEPS_ONNX=resnet56 LANDSCAPE_STEPS_HW=32 go test ./cpu -run XXX -bench Steps/bf16 -v
func BenchmarkSteps(b *testing.B) {
	f := os.Getenv("LANDSCAPE_STEPS_ONNX")
	if f == "" {
		b.Skip("LANDSCAPE_STEPS_ONNX unset")
	}
	hw := 224
	if s := os.Getenv("LANDSCAPE_STEPS_HW"); s != "" {
		var err error
		if hw, err = strconv.Atoi(s); err != nil {
			b.Fatalf("LANDSCAPE_STEPS_HW=%q: %v", s, err)
		}
	}
	for _, bf16 := range []bool{false, true} {
		b.Run(map[bool]string{false: "fp32", true: "bf16"}[bf16], func(b *testing.B) {
			const images = 16
			p, err := engine.RandomProblem(f, model.Config{InC: 3, HW: hw, Classes: 10}, images, 1,
				direction.Options{Norm: "filter", Ignore: "biasbn", DirType: "weights"})
			if err != nil {
				b.Fatal(err)
			}
			e, err := NewWith(p, Options{BF16: bf16})
			if err != nil {
				b.Fatal(err)
			}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			pt := []engine.Point{{A: 0.1, B: -0.2}}
			if _, err := e.Evaluate(context.Background(), pt, 0, images); err != nil {
				b.Fatal(err)
			}
			ns := make([]int64, len(e.steps)+1) // ns[i]: step i; ns[len]: the rest (loss)
			last, prev := threadNanos(), -1
			e.onStep = func(i int) {
				now := threadNanos()
				if prev >= 0 {
					ns[prev] += now - last
				}
				last, prev = now, i
				if i == len(e.steps) {
					prev = -1
				}
			}
			b.ResetTimer()
			for range b.N {
				if _, err := e.Evaluate(context.Background(), pt, 0, images); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			e.onStep = nil
			logSteps(b, e, ns)
		})
	}
}

// logSteps logs the step times ns (summed over b.N passes), slowest kinds of layer first.
func logSteps(b *testing.B, e *Engine, ns []int64) {
	var total int64
	for _, v := range ns {
		total += v
	}
	if total == 0 {
		return
	}
	type group struct {
		name string
		ns   int64
		n    int
	}
	groups := map[string]*group{}
	var lines []string
	for i := range e.steps {
		st := &e.steps[i]
		name := stepName(st)
		ms := float64(ns[i]) / 1e6 / float64(b.N)
		lines = append(lines, fmt.Sprintf("%3d %-48s %8.2f ms %5.1f%%", i, name, ms, 100*float64(ns[i])/float64(total)))
		g := groups[name]
		if g == nil {
			g = &group{name: name}
			groups[name] = g
		}
		g.ns += ns[i]
		g.n++
	}
	var gs []*group
	for _, g := range groups {
		gs = append(gs, g)
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i].ns > gs[j].ns })
	var sb strings.Builder
	fmt.Fprintf(&sb, "per step, ms of thread CPU time per pass of 16 images (%d passes):\n%s\n", b.N, strings.Join(lines, "\n"))
	fmt.Fprintf(&sb, "by layer shape:\n")
	for _, g := range gs {
		fmt.Fprintf(&sb, "  %-48s ×%-2d %8.2f ms %5.1f%%\n", g.name, g.n, float64(g.ns)/1e6/float64(b.N), 100*float64(g.ns)/float64(total))
	}
	fmt.Fprintf(&sb, "total %.2f ms per pass", float64(total)/1e6/float64(b.N))
	b.Log(sb.String())
}

// stepName describes a step's layer: kind, channels, size, window and the bfloat16 path.
func stepName(st *step) string {
	l := &st.l
	kinds := map[stepKind]string{convShift: "shift", convPhase: "phase", convCol: "im2col", linear: "linear", maxPool: "maxpool", avgPool: "avgpool"}
	k, ok := kinds[st.kind]
	if !ok {
		k = fmt.Sprintf("kind%d", st.kind)
	}
	s := fmt.Sprintf("%s %d→%d %dx%d", k, l.InShape[0], l.OutShape[0], l.InShape[1], l.InShape[2])
	if l.K > 0 {
		s += fmt.Sprintf(" k%d/s%d", l.K, l.Stride)
	}
	if l.Residual >= 0 {
		s += " +res"
	}
	switch {
	case st.paired:
		s += " pairs"
	case st.tiled:
		s += " grid"
	}
	if st.resGrid != nil {
		s += " res-pairs"
	}
	if st.pairsOnly {
		s += " pairs-only"
	}
	if st.poolNext {
		s += " +pool"
	}
	return s
}

// threadNanos returns the calling thread's CPU time in nanoseconds.
func threadNanos() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		panic(err)
	}
	return ts.Nano()
}
