package job

import (
	"errors"
	"fmt"
	"strings"

	"landscape/data"
	"landscape/hessian"
	"landscape/model"
	"landscape/plot"
	"landscape/train"
)

// HessianSpec is the curvature of the loss at θ (landscape hessian without --x); the field
// comments name the flags.
type HessianSpec struct {
	Model, Weights string // --model, --weights
	Input                 // --data, --split, --limit, --raw, --normalize, --resize, --center-crop
	Chunk, Workers int    // --batch-size (images per chunk of a product), --workers

	Request hessian.Request // --top, --trace, --tol, --max-samples, --density-runs, --density-steps, --lanczos-tol, --max-steps, --hessian-seed
	Device  string          // --device: cpu or auto
	Density string          // --density: the PNG of the spectral density ("": none)
	Title   string          // the density plot's title
	Out     string          // --out: the JSON report ("": none)
}

// Hessian is a prepared curvature computation: the products at θ are ready.
type Hessian struct {
	Spec HessianSpec
	HVP  *train.HVP[float32]
	Data *data.Set
}

// CheckHessianDevice checks a --device for Hessian-vector products, which run on the CPU only.
func CheckHessianDevice(device string) error {
	switch device {
	case "cpu", "auto":
		return nil
	case "gpu":
		return errors.New("--device gpu: Hessian-vector products run on the CPU only for now (a GPU HVP is later work); use --device cpu")
	}
	return fmt.Errorf("--device %q: want cpu (or auto)", device)
}

// checkChunks checks how Hessian-vector products are split, naming the flags.
func checkChunks(workers, chunk int) error {
	if workers < 1 || chunk < 1 {
		return fmt.Errorf("--workers %d and --batch-size %d: want positive numbers", workers, chunk)
	}
	return nil
}

// checkLanczos checks the eigenvalue options, naming their flags.
func checkLanczos(o hessian.Options) error {
	if !(o.Tol > 0) || o.MaxSteps < 1 {
		return fmt.Errorf("--lanczos-tol %g and --max-steps %d: want positive values", o.Tol, o.MaxSteps)
	}
	return nil
}

func (s *HessianSpec) validate() error {
	r := s.Request
	r.Density = s.Density != ""
	s.Request = r
	switch {
	case r.Top < 0:
		return fmt.Errorf("--top %d: want 0 or more", r.Top)
	case r.Trace && (!(r.TraceTol > 0) || r.MaxSamples < 1):
		return fmt.Errorf("--tol %g and --max-samples %d: want positive values", r.TraceTol, r.MaxSamples)
	case r.Density && !strings.HasSuffix(s.Density, ".png"):
		return fmt.Errorf("--density %q: want a file name ending in .png", s.Density)
	case r.Density && (r.DensityOpt.Runs < 1 || r.DensityOpt.Steps < 2):
		return fmt.Errorf("--density-runs %d and --density-steps %d: want at least 1 and 2", r.DensityOpt.Runs, r.DensityOpt.Steps)
	case r.Top == 0 && !r.Trace && !r.Density:
		return errors.New("nothing to compute: give --top K, --trace or --density")
	case s.Out != "" && !strings.HasSuffix(s.Out, ".json"):
		return fmt.Errorf("--out %q: want a file name ending in .json (or use --x for an eigenvalue map)", s.Out)
	}
	if err := checkChunks(s.Workers, s.Chunk); err != nil {
		return err
	}
	if err := checkLanczos(r.Options); err != nil {
		return err
	}
	if err := s.Input.validate(); err != nil {
		return err
	}
	return CheckHessianDevice(s.Device)
}

// PrepareHessian checks spec, loads the data and the network (a zoo network with its
// --weights, or an ONNX graph with its own weights or --weights) and prepares float32
// Hessian-vector products of the mean loss over the data at the weights.
func PrepareHessian(spec HessianSpec) (*Hessian, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	if spec.Weights == "" && !model.IsGraphFile(spec.Model) {
		return nil, fmt.Errorf("--weights is required for zoo network %s (a --model FILE.onnx carries its own)", spec.Model)
	}
	set, net, w, err := spec.Input.loadWith(spec.Model, spec.Weights)
	if err != nil {
		return nil, err
	}
	h, err := train.NewHVP[float32](net, w, set, spec.Chunk, spec.Workers)
	if err != nil {
		return nil, err
	}
	return &Hessian{Spec: spec, HVP: h, Data: set}, nil
}

// Products is how many Hessian-vector products Run makes at most (for a progress bar).
func (h *Hessian) Products() int { return h.Spec.Request.Products(h.HVP.Dim()) }

// Run computes what the spec asks for (hessian.Analyse), calling progress after every
// product, draws the density and writes the JSON report; it returns the report and the files
// written.
func (h *Hessian) Run(progress func()) (hessian.Report, []string, error) {
	r := h.Spec.Request
	r.Options.Progress = progress
	rep, err := hessian.Analyse(hessian.Network(h.HVP), r)
	if err != nil {
		return rep, nil, err
	}
	var written []string
	if rep.Density != nil {
		p, err := plot.Density(rep.Density.Grid, rep.Density.Values, h.Spec.Density, h.Spec.Title)
		if err != nil {
			return rep, nil, err
		}
		written = append(written, p)
	}
	if out := h.Spec.Out; out != "" {
		if err := rep.WriteJSON(out); err != nil {
			return rep, written, err
		}
		written = append(written, out)
	}
	return rep, written, nil
}
