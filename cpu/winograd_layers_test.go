package cpu

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"landscape/cpu/gemm"
	"landscape/direction"
	"landscape/engine"
	"landscape/internal/cputime"
	"landscape/model"
)

// BenchmarkWinogradLayers times every 3×3 stride-1 convolution of resnet20 at 32×32 (and of the
// ONNX files named by $LANDSCAPE_TV_ONNX at 224×224) on the default batch, directly and by
// Winograd's algorithm on the kernel in use, alternately in each iteration, in the calling
// thread's CPU time (less disturbed than wall time by other processes on a loaded machine). It
// reports the Winograd step's time over the direct one's ("wino/direct") with both in ms/op:
// the measurements behind winoVecPays.
func BenchmarkWinogradLayers(b *testing.B) {
	type net struct {
		name string
		hw   int
	}
	nets := []net{{"resnet20", 32}}
	for _, f := range strings.Fields(os.Getenv("LANDSCAPE_TV_ONNX")) {
		nets = append(nets, net{f, 224})
	}
	for _, n := range nets {
		p, err := engine.RandomProblem(n.name, model.Config{InC: 3, HW: n.hw, Classes: 10}, 16, 1,
			direction.Options{Norm: "filter", Ignore: "biasbn", DirType: "weights"})
		if err != nil {
			b.Fatal(err)
		}
		e, err := NewWith(p, Options{Winograd: WinogradOn})
		if err != nil {
			b.Fatal(err)
		}
		ws := e.prepare(engine.Point{A: 0.1})
		nb := e.bmax
		e.forward(ws, 0, nb)
		seen := map[string]bool{}
		for i := range e.steps {
			st := &e.steps[i]
			if !st.wino {
				continue
			}
			l := &st.l
			shape := fmt.Sprintf("%dx%dx%dx%d_res%v", l.InShape[0], l.Cout(), l.InShape[1], l.InShape[2], l.Residual >= 0)
			if seen[shape] {
				continue
			}
			seen[shape] = true
			name := strings.TrimSuffix(n.name[strings.LastIndex(n.name, "/")+1:], ".onnx")
			b.Run(name+"/"+shape, func(b *testing.B) {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				g := e.guard
				ldIn, ldOut := e.ld(st.inHW), e.ld(st.outHW)
				in, out := e.bufs[l.In][g:], e.bufs[l.Out][g:]
				var res []float32
				if l.Residual >= 0 {
					res = e.bufs[l.Residual][g:]
				}
				cols := roundUp(nb*st.outHW, gemm.FusedNR)
				var direct, wino time.Duration
				for b.Loop() {
					t0 := cputime.Thread()
					e.ws.Fused(st.m, cols, st.k, ws.w[i], st.k, &st.src, out, ldOut, ws.b[i], res, ldOut, l.ReLU)
					t1 := cputime.Thread()
					e.winograd(st, ws.wu[i], ws.b[i], in, out, res, ldIn, ldOut, nb)
					t2 := cputime.Thread()
					direct += t1 - t0
					wino += t2 - t1
				}
				b.ReportMetric(float64(wino)/float64(direct), "wino/direct")
				b.ReportMetric(direct.Seconds()*1e3/float64(b.N), "direct-ms/op")
				b.ReportMetric(wino.Seconds()*1e3/float64(b.N), "wino-ms/op")
			})
		}
	}
}
