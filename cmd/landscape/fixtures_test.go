package main

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"landscape/data"
	"landscape/internal/testinput"
	"landscape/model"
)

// writeWeights saves deterministic random weights for a zoo network as dir/name.safetensors and
// returns the path.
func writeWeights(t *testing.T, dir, name string, cfg model.Config, seed int64) string {
	t.Helper()
	path := filepath.Join(dir, name+".safetensors")
	testinput.Weights(t, path, name, cfg, seed)
	return path
}

// writeIDX writes a small random MNIST-format test split (n images of hw×hw) and returns the spec.
func writeIDX(t *testing.T, dir string, n, hw int) string {
	t.Helper()
	return testinput.IDX(t, dir, n, hw, 1, 2)
}

// writeCIFAR writes n random CIFAR-10 binary records as the test split and returns the spec.
func writeCIFAR(t *testing.T, dir string, n int) string {
	t.Helper()
	r := rand.New(rand.NewPCG(3, 4))
	img, lab := make([]uint8, n*3072), make([]uint8, n)
	for i := range img {
		img[i] = uint8(r.IntN(256))
	}
	for i := range lab {
		lab[i] = uint8(r.IntN(10))
	}
	if err := data.WriteCIFAR10(dir, []string{"test_batch.bin"}, img, lab); err != nil {
		t.Fatal(err)
	}
	return "cifar10:" + dir
}
