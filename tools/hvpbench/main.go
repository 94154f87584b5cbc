// Command hvpbench times landscape's Hessian-vector products (train.HVP, float32, all cores)
// on random weights and synthetic 32×32 RGB images (or an ONNX graph's weights and input shape), printing one JSON line in the format of
// tools/torch_hessian.py bench, so that scripts/bench-hvp.sh can alternate the two.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"time"

	"landscape/data"
	"landscape/model"
	"landscape/train"
)

func main() {
	name := flag.String("model", "resnet20", "zoo network, or FILE.onnx (its own weights; its input shape)")
	images := flag.Int("images", 256, "images in the data set")
	batch := flag.Int("batch", 32, "images per chunk")
	reps := flag.Int("reps", 3, "timed products (after one warm-up)")
	workers := flag.Int("workers", runtime.NumCPU(), "goroutines")
	flag.Parse()
	n, w, err := load(*name)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	in := n.Input()
	set := data.Synthetic(*images, in[0], in[1], in[2], min(n.Classes, 10), 1)
	h, err := train.NewHVP[float32](n, w, set, *batch, *workers)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	r := rand.New(rand.NewPCG(1, 1))
	v, hv := make([]float64, h.Dim()), make([]float64, h.Dim())
	for i := range v {
		v[i] = r.NormFloat64()
	}
	h.Apply(v, hv, nil)
	t := time.Now()
	for range *reps {
		h.Apply(v, hv, nil)
	}
	dt := time.Since(t).Seconds()
	json.NewEncoder(os.Stdout).Encode(map[string]any{"engine": "landscape", "model": *name, "images": *images,
		"threads": *workers, "hvp_per_s": float64(*reps) / dt, "img_hvp_per_s": float64(*reps**images) / dt})
}

// load builds zoo network name for 3×32×32 images and 10 classes with random weights, or reads
// an ONNX graph with its weights.
func load(name string) (*model.Net, *model.Weights, error) {
	if model.IsGraphFile(name) {
		return model.LoadONNX(name, "")
	}
	n, err := model.Build(name, model.Config{InC: 3, HW: 32, Classes: 10})
	if err != nil {
		return nil, nil, err
	}
	return n, model.Init(n, 1), nil
}
