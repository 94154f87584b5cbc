package cpu

import (
	"math/rand/v2"
	"testing"

	"landscape/model"
)

// BenchmarkExtLayers: the layers of torchvision's newer CNNs on one ConvNeXt-T stage-1
// activation (96 channels of 56×56, one image): ReLU (the classic layer, for scale), the
// activations (HardSigmoid, HardSwish, SiLU, GELU and its tanh form), a per-channel Mul (layer
// scale, SE gating by a constant), LayerNorm over the channels, and a channel permutation (the
// shuffle and NCHW↔NHWC permutes, as row copies); ns per element.
func BenchmarkExtLayers(b *testing.B) {
	const c, hw = 96, 56 * 56
	rng := rand.New(rand.NewPCG(1, 2))
	in, out := make([]float32, c*hw), make([]float32, c*hw)
	for i := range in {
		in[i] = float32(rng.NormFloat64())
	}
	gamma, beta, perm := make([]float32, c), make([]float32, c), rng.Perm(c)
	for i := range gamma {
		gamma[i], beta[i] = 1+0.1*float32(i%7), 0.01*float32(i%5)
	}
	l := &model.Layer{Alpha: 1.0 / 6, Beta: 0.5}
	run := func(name string, f func()) {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				f()
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N)/float64(c*hw), "ns/elem")
		})
	}
	run("ReLU", func() { Activate(model.OpReLU, 0, 0, 0, out, in) })
	for _, k := range []model.OpKind{model.OpHardSigmoid, model.OpHardSwish, model.OpSiLU, model.OpGELU, model.OpGELUTanh} {
		run(k.String(), func() { ActivateLayer(k, l, out, in) })
	}
	run("MulPerChannel", func() {
		for ch := range c {
			Arith(out[ch*hw:][:hw], in[ch*hw:][:hw], '*', gamma[ch], false)
		}
	})
	run("LayerNorm", func() { LayerNormChannels(out, in, c, hw, hw, hw, gamma, beta, 1e-6) })
	run("ChannelPermute", func() {
		for ch, j := range perm {
			copy(out[ch*hw:][:hw], in[j*hw:][:hw])
		}
	})
}
