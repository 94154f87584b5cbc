// Package testinput writes the small inputs that tests of several packages scan: random
// MNIST-format images and a zoo network's initial weights.
package testinput

import (
	"math/rand/v2"
	"testing"

	"landscape/data"
	"landscape/model"
)

// IDX writes n random hw×hw gray images with labels in 0..9, drawn from a PCG seeded with
// (seed1, seed2), as the gzipped test split of an MNIST-format folder dir, and returns the data
// spec "mnist:dir".
func IDX(t testing.TB, dir string, n, hw int, seed1, seed2 uint64) string {
	t.Helper()
	r := rand.New(rand.NewPCG(seed1, seed2))
	img, lab := make([]uint8, n*hw*hw), make([]uint8, n)
	for i := range img {
		img[i] = uint8(r.IntN(256))
	}
	for i := range lab {
		lab[i] = uint8(r.IntN(10))
	}
	if err := data.WriteIDX(dir, "test", img, lab, n, hw, hw, true); err != nil {
		t.Fatal(err)
	}
	return "mnist:" + dir
}

// Weights builds zoo network name for cfg and saves its initial weights model.Init(net, seed) as
// the safetensors file path; it returns the network.
func Weights(t testing.TB, path, name string, cfg model.Config, seed int64) *model.Net {
	t.Helper()
	net, err := model.Build(name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := model.WriteSafetensors(path, model.Init(net, seed), nil); err != nil {
		t.Fatal(err)
	}
	return net
}
