// Command hvpbench times landscape's Hessian-vector products (train.HVP, float32, all cores)
// on random weights and synthetic 32×32 RGB images, printing one JSON line in the format of
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
	name := flag.String("model", "resnet20", "zoo network")
	images := flag.Int("images", 256, "images in the data set")
	batch := flag.Int("batch", 32, "images per chunk")
	reps := flag.Int("reps", 3, "timed products (after one warm-up)")
	workers := flag.Int("workers", runtime.NumCPU(), "goroutines")
	flag.Parse()
	n, err := model.Build(*name, model.Config{InC: 3, HW: 32, Classes: 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	set := data.Synthetic(*images, 3, 32, 32, 10, 1)
	h, err := train.NewHVP[float32](n, model.Init(n, 1), set, *batch, *workers)
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
