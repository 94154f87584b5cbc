package model

import (
	"fmt"

	"landscape/onnx"
)

// minInputs is how many inputs ONNX requires of the operators imported or evaluated here that
// take more than one (the others take at least one, but Constant none): checked for every
// node before any is imported, since handlers and the patterns they recognise (LayerNorm,
// GELU) read a node's second or third input without asking.
var minInputs = map[string]int{
	"Constant": 0, "Conv": 2, "BatchNormalization": 5, "Reshape": 2, "Gemm": 2, "MatMul": 2,
	"LayerNormalization": 2, "Gather": 2, "Expand": 2, "Where": 3, "Range": 3, "ScatterND": 3,
	"Add": 2, "Sub": 2, "Mul": 2, "Div": 2, "Mod": 2, "Pow": 2, "Min": 1, "Max": 1,
	"Equal": 2, "Less": 2, "Greater": 2, "LessOrEqual": 2, "GreaterOrEqual": 2, "And": 2, "Or": 2,
}

// checkInputCounts refuses a graph with a node of a known operator that has fewer inputs than
// ONNX requires of it, or no output (the patterns emit for a node other than the one visited).
func checkInputCounts(file string, g *onnx.GraphProto) error {
	for _, nd := range g.GetNode() {
		typ := nd.GetOpType()
		if handlers[typ] == nil && !evaluable[typ] {
			continue
		}
		want, ok := minInputs[typ]
		if !ok {
			want = 1
		}
		if len(nd.GetOutput()) == 0 {
			return fmt.Errorf("%s: %s: no output", file, nd.Label())
		}
		if len(nd.GetInput()) < want {
			return fmt.Errorf("%s: %s: %d inputs; %s takes at least %d", file, nd.Label(), len(nd.GetInput()), typ, want)
		}
	}
	return nil
}
