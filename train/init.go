package train

import (
	"math"
	"math/rand/v2"

	"landscape/model"
)

// KaimingInit returns fresh weights for n drawn as the paper's training code draws them
// (tomgoldstein/loss-landscape, cifar10/main.py, init_params):
//
//   - convolution weights ~ N(0, 2/fan_in), fan_in = Cin·K·K: torch.nn.init.kaiming_normal_
//     with mode='fan_in' (the code's choice; PyTorch's default mode is also fan_in) and the
//     ReLU gain √2; convolution biases 0;
//   - batch norm γ = 1, β = 0, running mean 0, running variance 1, num_batches_tracked 0;
//   - linear weights ~ N(0, 0.001²), linear biases 0.
//
// The draw is a PCG stream of seed; the same seed gives the same weights.
func KaimingInit(n *model.Net, seed int64) *model.Weights {
	r := rand.New(rand.NewPCG(uint64(seed), 0x696e6974)) // "init"
	w := model.NewWeights()
	for _, p := range n.Params {
		t := model.NewTensor(p.Name, p.Shape...)
		switch {
		case p.Kind == model.KindWeight && len(p.Shape) == 4:
			std := math.Sqrt(2 / float64(model.Numel(p.Shape[1:])))
			for i := range t.Data {
				t.Data[i] = float32(r.NormFloat64() * std)
			}
		case p.Kind == model.KindWeight:
			for i := range t.Data {
				t.Data[i] = float32(r.NormFloat64() * 1e-3)
			}
		case p.Kind == model.KindBNWeight || p.Kind == model.KindRunningVar:
			for i := range t.Data {
				t.Data[i] = 1
			}
		}
		w.Add(t)
	}
	return w
}
