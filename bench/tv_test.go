package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"landscape/cpu"
	"landscape/direction"
	"landscape/engine"
	"landscape/model"
)

// BenchmarkCPUEngineTV measures one CPU engine (one core) on the ONNX files named by
// $LANDSCAPE_TV_ONNX (space-separated, e.g. torchvision exports from scripts/bench-cpu.sh's
// ONNX_DIR) at 224×224, in float32 and bfloat16; skipped when it is unset.
func BenchmarkCPUEngineTV(b *testing.B) {
	files := strings.Fields(os.Getenv("LANDSCAPE_TV_ONNX"))
	if len(files) == 0 {
		b.Skip("LANDSCAPE_TV_ONNX unset")
	}
	for _, f := range files {
		for _, bf16 := range []bool{false, true} {
			name := strings.TrimSuffix(filepath.Base(f), ".onnx") + map[bool]string{false: "/fp32", true: "/bf16"}[bf16]
			b.Run(name, func(b *testing.B) {
				const images = 16
				p, err := engine.RandomProblem(f, model.Config{InC: 3, HW: 224, Classes: 10}, images, 1,
					direction.Options{Norm: "filter", Ignore: "biasbn", DirType: "weights"})
				if err != nil {
					b.Fatal(err)
				}
				e, err := cpu.NewWith(p, cpu.Options{BF16: bf16})
				if err != nil {
					b.Fatal(err)
				}
				measure(b, e, p, images)
			})
		}
	}
}
