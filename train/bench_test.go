package train

import (
	"fmt"
	"testing"

	"landscape/model"
)

// BenchmarkStep times one forward+backward pass (images per second reported) on 28×28
// single-channel inputs, as Fashion-MNIST's.
func BenchmarkStep(b *testing.B) {
	for _, name := range []string{"vgg5-c8", "resnet20-c4", "resnet56-c4", "resnet56-c4-noshort", "resnet20"} {
		for _, B := range []int{16, 128} {
			b.Run(fmt.Sprintf("%s/b%d", name, B), func(b *testing.B) {
				n, err := model.Build(name, model.Config{InC: 1, HW: 28, Classes: 10})
				if err != nil {
					b.Fatal(err)
				}
				net, err := NewNet[float32](n, model.Init(n, 1), B, 2)
				if err != nil {
					b.Fatal(err)
				}
				x64, labels := batch(1, B, 28*28, 10)
				x := make([]float32, len(x64))
				for i, v := range x64 {
					x[i] = float32(v)
				}
				b.ResetTimer()
				for range b.N {
					net.Forward(x, labels, true)
					net.Backward()
				}
				b.ReportMetric(float64(B*b.N)/b.Elapsed().Seconds(), "img/s")
			})
		}
	}
}
