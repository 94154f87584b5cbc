package model

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"landscape/onnx"
)

// errUnsupported marks a node whose operator type no handler imports.
var errUnsupported = errors.New("unsupported operator")

// MissingOp counts the nodes of one unsupported operator type in a graph.
type MissingOp struct {
	Type  string // operator type (with its domain when not ONNX's)
	Count int
	First string // the first such node's name (or first output)
}

// ImportError is the one refusal of a graph LoadONNX cannot import: every unsupported operator
// type (after constant evaluation), and every node of a supported type refused for its
// attributes, shapes or inputs. Nodes reading what a refused node computes are not counted.
type ImportError struct {
	File    string
	Missing []MissingOp // by count, most frequent first
	Refused []string    // "node …: why", in graph order
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: cannot import the graph", e.File)
	if len(e.Missing) > 0 {
		fmt.Fprintf(&b, "; unsupported operators (see the README's operator table):")
		for _, m := range e.Missing {
			fmt.Fprintf(&b, "\n  %s ×%d (first: %q)", m.Type, m.Count, m.First)
		}
	}
	if len(e.Refused) > 0 {
		fmt.Fprintf(&b, "\nrefused nodes:")
		for i, r := range e.Refused {
			if i == 8 {
				fmt.Fprintf(&b, "\n  … and %d more", len(e.Refused)-8)
				break
			}
			fmt.Fprintf(&b, "\n  %s", r)
		}
	}
	return b.String()
}

// visit imports node nd unless a pattern absorbed it; a node reading a value computed from a
// node that was not imported is skipped (and counted when its operator is neither imported nor
// evaluated anywhere), and
// so are its outputs. An unsupported operator or a refused node is recorded (refusal reports
// them all) and its outputs marked.
func (im *importer) visit(nd *onnx.NodeProto) {
	if im.absorbed[nd] {
		return
	}
	var err error
	switch d := nd.GetDomain(); {
	case d != "" && d != "ai.onnx":
		err = errUnsupported
	case slices.ContainsFunc(nd.GetInput(), func(in string) bool { return im.poisoned[in] }):
		// computed from what was not imported: only an operator neither imported nor evaluated is
		// worth naming (Shape arithmetic, or Pow and Sqrt of a LayerNorm, may well be fine)
		if handlers[nd.GetOpType()] != nil || evaluable[nd.GetOpType()] {
			im.poison(nd)
			return
		}
		err = errUnsupported
	default:
		before := len(im.net.Slots)
		if err = im.node(nd); err == nil {
			err = im.checkSlots(nd, before)
		}
	}
	switch {
	case err == nil:
		return
	case errors.Is(err, errUnsupported):
		typ := nd.GetOpType()
		if d := nd.GetDomain(); d != "" && d != "ai.onnx" {
			typ = d + "::" + typ
		}
		m := im.missing[typ]
		if m == nil {
			name := nd.GetName()
			if name == "" && len(nd.GetOutput()) > 0 {
				name = nd.GetOutput()[0]
			}
			m = &MissingOp{Type: typ, First: name}
			im.missing[typ] = m
		}
		m.Count++
	default:
		msg := err.Error()
		msg = strings.TrimPrefix(msg, im.file+": ")
		im.refused = append(im.refused, msg)
	}
	im.poison(nd)
}

// checkSlots refuses node nd when an activation it made (the slots from before on) holds
// more than maxSlotValues values per image, before any later node allocates from its size.
func (im *importer) checkSlots(nd *onnx.NodeProto, before int) error {
	for _, s := range im.net.Slots[before:] {
		if _, err := shapeSize(s[:], maxSlotValues); err != nil {
			return im.errorf(nd, "activation [C, H, W] = %v: %v", s, err)
		}
	}
	return nil
}

func (im *importer) poison(nd *onnx.NodeProto) {
	for _, o := range nd.GetOutput() {
		im.poisoned[o] = true
	}
}

// refusal returns the ImportError of what could not be imported, or nil.
func (im *importer) refusal() error {
	if len(im.missing) == 0 && len(im.refused) == 0 {
		return nil
	}
	return im.importError()
}

func (im *importer) importError() *ImportError {
	e := &ImportError{File: im.file, Refused: im.refused}
	for _, m := range im.missing {
		e.Missing = append(e.Missing, *m)
	}
	sort.Slice(e.Missing, func(i, j int) bool {
		a, b := e.Missing[i], e.Missing[j]
		return a.Count > b.Count || (a.Count == b.Count && a.Type < b.Type)
	})
	return e
}

// lookConst returns the value called name when it is known at load time: already evaluated, an
// initializer, or computed by nodes (Constant, casts, arithmetic on constants) that could be
// evaluated now although the import has not reached them. Patterns look ahead with it.
func (im *importer) lookConst(name string) *constant {
	if c := im.consts[name]; c != nil {
		return c
	}
	nd := im.producer[name]
	if nd == nil || !evaluable[nd.GetOpType()] || nd.GetOpType() == "Shape" {
		return nil
	}
	in := make([]*constant, len(nd.GetInput()))
	for i, x := range nd.GetInput() {
		if x == "" {
			continue
		}
		if in[i] = im.lookConst(x); in[i] == nil {
			return nil
		}
	}
	c, err := evalConst(nd, in, im.opset)
	if err != nil {
		return nil
	}
	return c
}

// scalarConst returns input i of nd as the single number of a load-time constant.
func (im *importer) scalarConst(nd *onnx.NodeProto, i int) (float64, bool) {
	if i >= len(nd.GetInput()) {
		return 0, false
	}
	c := im.lookConst(nd.GetInput()[i])
	if c == nil || len(c.data) != 1 {
		return 0, false
	}
	return c.data[0], true
}
