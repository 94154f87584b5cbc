package model

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Inspection is what `landscape inspect` shows of an ONNX file: the compiled plan (layers with
// what is fused into them), the parameter roles, the input shape, and what cannot be imported.
type Inspection struct {
	File    string
	Opset   int64
	Net     *Net         // the imported graph (partial when Refusal is set)
	Plan    *Plan        // nil when Refusal is set
	Refusal *ImportError // every unsupported operator and refused node, or nil
}

// Role names how directions treat a parameter kind of the given shape: "normalised" (≥2
// dimensions: --norm filter scales it per slice along dimension 0), "≤1-dim" (what --ignore
// biasbn zeroes), "running statistic" (moved only with --dir-type states) or "counter".
func Role(p ParamSpec) string {
	switch {
	case p.Kind.IsState():
		return "running statistic"
	case !p.Kind.IsParameter():
		return "counter"
	case len(p.Shape) > 1:
		return "normalised"
	}
	return "≤1-dim"
}

// InspectONNX imports file and compiles its plan; an unsupported graph is not an error here
// (Refusal says why), a file that is no readable ONNX model is.
func InspectONNX(file string) (*Inspection, error) {
	im, err := importONNX(file)
	if err != nil {
		return nil, err
	}
	in := &Inspection{File: file, Opset: im.opset, Net: im.net}
	if err := im.refusal(); err != nil {
		var ie *ImportError
		if errors.As(err, &ie) {
			in.Refusal = ie
			return in, nil
		}
		return nil, err
	}
	if in.Plan, err = Compile(im.net); err != nil {
		return nil, err
	}
	return in, nil
}

// Describe is one line about a plan layer: kind, shapes, weight and what is fused.
func (l *Layer) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-14s %s → %s", l.Kind, ShapeString(l.InShape[:]), ShapeString(l.OutShape[:]))
	if l.Weight != "" {
		fmt.Fprintf(&b, "  %s", l.Weight)
	}
	if l.Bias != "" && l.Kind != OpLayerNorm {
		fmt.Fprintf(&b, " (+bias)")
	}
	var fused []string
	if l.BN != "" {
		fused = append(fused, fmt.Sprintf("batchnorm %s (ε %g)", l.BN, l.BNEpsilon()))
	}
	if l.Kind == OpLayerNorm {
		fused = append(fused, fmt.Sprintf("ε %g", l.BNEpsilon()))
	}
	if l.Kind == OpSoftmax || l.Kind == OpMatMul {
		fused = append(fused, fmt.Sprintf("%d heads", l.Heads))
	}
	if l.Kind == OpMatMul && l.Windows > 1 {
		fused = append(fused, fmt.Sprintf("%d windows", l.Windows))
	}
	if l.Kind == OpMatMul && l.TransA {
		fused = append(fused, "Q·Kᵀ")
	}
	if l.Kind == OpArith && l.Weight != "" && l.Perm != nil {
		fused = append(fused, "gathered per element")
	}
	if l.Residual >= 0 {
		fused = append(fused, "residual add")
	}
	if l.ReLU {
		fused = append(fused, "relu")
	}
	if l.HasAct {
		fused = append(fused, l.Act.String())
	}
	if len(fused) > 0 {
		fmt.Fprintf(&b, "  [%s]", strings.Join(fused, ", "))
	}
	return b.String()
}

// Write prints the inspection as text.
func (in *Inspection) Write(w io.Writer) {
	n := in.Net
	s := n.Input()
	fmt.Fprintf(w, "%s: ONNX opset %d, input [N, %d, %d, %d]", in.File, in.Opset, s[0], s[1], s[2])
	if in.Plan != nil {
		fmt.Fprintf(w, ", %d classes, %.3g GFLOP per image", n.Classes, n.FLOPs()/1e9)
	}
	fmt.Fprintln(w)
	if in.Refusal != nil {
		fmt.Fprintf(w, "\nNOT SUPPORTED (%d ops imported before or beside these):\n%s\n", len(n.Ops), strings.TrimPrefix(in.Refusal.Error(), in.File+": "))
	}
	if in.Plan != nil {
		fmt.Fprintf(w, "\nplan: %d layers over %d buffers\n", len(in.Plan.Layers), len(in.Plan.Buffers))
		for i := range in.Plan.Layers {
			fmt.Fprintf(w, "  %3d  %s\n", i, in.Plan.Layers[i].Describe())
		}
	}
	counts := map[string]int{}
	var total int
	for _, p := range n.Params {
		counts[Role(p)]++
		if p.Kind.IsParameter() {
			total += specLen(&p)
		}
	}
	fmt.Fprintf(w, "\nparameters: %d tensors, %d values (%d normalised, %d ≤1-dim, %d running statistics)\n",
		len(n.Params), total, counts["normalised"], counts["≤1-dim"], counts["running statistic"])
	for _, p := range n.Params {
		fmt.Fprintf(w, "  %-50s %-16s %s\n", p.Name, ShapeString(p.Shape), Role(p))
	}
}
