package cpu_test

import (
	"testing"

	"landscape/cpu"
	"landscape/engine"
	"landscape/internal/enginetest"
)

func TestConformance(t *testing.T) { enginetest.Run(t, cpu.New) }

// TestGraphConformance runs the ONNX test graphs (every imported operator) against the naive
// float64 interpreter, with the default batch and with one image at a time.
func TestGraphConformance(t *testing.T) {
	enginetest.RunGraphs(t, cpu.New)
	t.Run("batch1", func(t *testing.T) {
		enginetest.RunGraphs(t, func(p *engine.Problem) (engine.Engine, error) { return cpu.NewBatch(p, 1) })
	})
}

// TestExtGraphConformance runs the test graphs of the operators of torchvision's newer CNNs
// (enginetest.ExtGraphCases) the same way.
func TestExtGraphConformance(t *testing.T) {
	enginetest.RunExtGraphs(t, cpu.New)
	t.Run("batch1", func(t *testing.T) {
		enginetest.RunExtGraphs(t, func(p *engine.Problem) (engine.Engine, error) { return cpu.NewBatch(p, 1) })
	})
}

// TestViTGraphConformance runs the vision-transformer test graphs (enginetest.ViTGraphCases)
// the same way.
func TestViTGraphConformance(t *testing.T) {
	enginetest.RunViTGraphs(t, cpu.New)
	t.Run("batch1", func(t *testing.T) {
		enginetest.RunViTGraphs(t, func(p *engine.Problem) (engine.Engine, error) { return cpu.NewBatch(p, 1) })
	})
}

// TestSwinGraphConformance runs the Swin block test graph (enginetest.SwinGraphCases) the
// same way.
func TestSwinGraphConformance(t *testing.T) {
	enginetest.RunSwinGraphs(t, cpu.New)
	t.Run("batch1", func(t *testing.T) {
		enginetest.RunSwinGraphs(t, func(p *engine.Problem) (engine.Engine, error) { return cpu.NewBatch(p, 1) })
	})
}

// TestConformanceBF16 runs the suite on the bfloat16 engine (AMX or AVX512-BF16 where present,
// with its channel pairs; else the float32 kernels on rounded numbers), and the ONNX graphs
// (with the newer CNNs' depthwise convolutions and element-wise layers).
func TestConformanceBF16(t *testing.T) {
	f := func(p *engine.Problem) (engine.Engine, error) { return cpu.NewWith(p, cpu.Options{BF16: true}) }
	enginetest.RunPrecision(t, f, "bf16")
	t.Run("graphs", func(t *testing.T) { enginetest.RunGraphsPrecision(t, f, "bf16") })
	t.Run("extgraphs", func(t *testing.T) { enginetest.RunExtGraphsPrecision(t, f, "bf16") })
}
