// Package cuda2go reads the kernel signatures of kernels/*.cu and writes every Go and C mirror
// of them (as mumax's cuda2go does), so that none is kept by hand:
//   - kernels/signatures_gen.go, the parameter table the PTX is checked against, with each conv
//     kernel's family, precision and row tile (read from its name, checked against the tile its
//     body instantiates);
//   - gpu/launch_gen.go, one argument struct per signature with a field per parameter (named,
//     typed by kind), so that a call site cannot pass a wrong kind of argument or pass them in
//     the wrong order, and gpu/args_gen_test.go, which reads a launch's arguments back into
//     that struct (the fake device);
//   - kernels/fold_gen.go, the FoldField constants, FoldFields and FoldRow's field accessors of
//     fold_weights' layer table, from the enum in kernels/fold.cuh;
//   - kernels/emu/kernels_gen.h, the C prototypes the host emulator's tests call.
//
// Run by `go generate ./kernels`; kernels' tests regenerate and compare.
package cuda2go

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Param is one kernel parameter as declared in C.
type Param struct {
	Name  string // C name
	Type  string // C type without const/__restrict__, e.g. "float *", "int", "i64"
	CType string // C type as declared, without __restrict__, e.g. "const float *"
	Kind  byte   // 'p' pointer, 'i' int (32-bit), 'l' long long (64-bit), 'f' float, 'd' double
}

// Kernel is one LS_KERNEL entry point.
type Kernel struct {
	Module string // .cu file's base name
	Name   string
	Group  string // the macro its parameter list comes from (e.g. CONV_PARAMS), or the name
	Params []Param
	// Conv kernels (named family_precision_bmTILE, e.g. conv2_tf32_bm32): their family (conv,
	// conv2, conv3), operand precision (f32, tf32, bf16, bf16f) and row tile.
	Family, Precision string
	Tile              int
}

var (
	defineRe = regexp.MustCompile(`(?m)^#define\s+([A-Z_][A-Z0-9_]*)\s+((?:[^\n]*\\\n)*[^\n]*)`)
	kernelRe = regexp.MustCompile(`LS_KERNEL\s+void\s+(?:__launch_bounds__\s*\([^)]*\)\s*)?([A-Za-z_]\w*)\s*\(`)
	convRe   = regexp.MustCompile(`^(conv[0-9]?)_(f32|tf32|bf16|bf16f)_bm([0-9]+)$`)
	// tileRe finds the row tile a conv kernel's body instantiates: conv_mma<16, true>(…).
	tileRe = regexp.MustCompile(`^\s*\{\s*\w+<\s*([0-9]+)\s*[,>]`)
)

// Parse reads every kernels/*.cu (with the macros of kernels/*.cuh) in dir.
func Parse(dir string) ([]Kernel, error) {
	macros := map[string]string{}
	var sources []string
	for _, pat := range []string{"*.cuh", "*.cu"} {
		files, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			for _, m := range defineRe.FindAllStringSubmatch(string(b), -1) {
				macros[m[1]] = strings.ReplaceAll(m[2], "\\\n", " ")
			}
			if pat == "*.cu" {
				sources = append(sources, f)
			}
		}
	}
	var out []Kernel
	for _, f := range sources {
		b, _ := os.ReadFile(f)
		src := string(b)
		module := strings.TrimSuffix(filepath.Base(f), ".cu")
		for _, m := range kernelRe.FindAllStringSubmatchIndex(src, -1) {
			name := src[m[2]:m[3]]
			open := m[1] // just past '('
			depth, end := 1, open
			for ; end < len(src) && depth > 0; end++ {
				switch src[end] {
				case '(':
					depth++
				case ')':
					depth--
				}
			}
			list := strings.TrimSpace(src[open : end-1])
			group := name
			if body, ok := macros[list]; ok {
				group, list = list, body
			}
			params, err := parseParams(list)
			if err != nil {
				return nil, fmt.Errorf("%s: kernel %s: %w", filepath.Base(f), name, err)
			}
			k := Kernel{Module: module, Name: name, Group: group, Params: params}
			if err := k.convMeta(src[end:]); err != nil {
				return nil, fmt.Errorf("%s: %w", filepath.Base(f), err)
			}
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// convMeta sets a conv kernel's family, precision and tile from its name, and checks the tile
// against the one its body instantiates (body: the source after the parameter list).
func (k *Kernel) convMeta(body string) error {
	m := convRe.FindStringSubmatch(k.Name)
	if m == nil {
		return nil
	}
	k.Family, k.Precision = m[1], m[2]
	k.Tile, _ = strconv.Atoi(m[3])
	t := tileRe.FindStringSubmatch(body)
	if t == nil || t[1] != m[3] {
		return fmt.Errorf("kernel %s: its body does not instantiate row tile %s first (want { f<%s, …>(…) })", k.Name, m[3], m[3])
	}
	return nil
}

// parseParams splits a C parameter list ("const float *__restrict__ in, int B") into Params.
func parseParams(list string) ([]Param, error) {
	var out []Param
	for _, raw := range strings.Split(list, ",") {
		p := strings.Join(strings.Fields(strings.NewReplacer("const", " ", "__restrict__", " ", "*", " * ").Replace(raw)), " ")
		i := strings.LastIndexByte(p, ' ')
		if i < 0 {
			return nil, fmt.Errorf("parameter %q has no name", raw)
		}
		typ, name := p[:i], p[i+1:]
		var kind byte
		switch {
		case strings.HasSuffix(typ, "*"):
			kind = 'p'
		case typ == "int":
			kind = 'i'
		case typ == "i64" || typ == "long long":
			kind = 'l'
		case typ == "float":
			kind = 'f'
		case typ == "double":
			kind = 'd'
		default:
			return nil, fmt.Errorf("parameter %s: type %q has no Go kind (want a pointer, int, i64, float or double)", name, typ)
		}
		ctype := strings.Join(strings.Fields(strings.NewReplacer("__restrict__", " ", "*", " * ").Replace(raw)), " ")
		ctype = strings.TrimSpace(strings.TrimSuffix(ctype, name))
		ctype = strings.ReplaceAll(ctype, "* *", "**")
		out = append(out, Param{Name: name, Type: typ, CType: ctype, Kind: kind})
	}
	return out, nil
}

// Field is one constant of a C enum, in order (its value is its index).
type Field struct {
	Name    string // C name, e.g. F_TAPS
	Comment string // its // comment, continuation lines joined; "" when it has none
}

var enumRe = regexp.MustCompile(`(?s)enum\s+(\w+)\s*\{(.*?)\};`)

// ParseEnum reads the C enum called name from file (implicit values only: each field's value is
// its index).
func ParseEnum(file, name string) ([]Field, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	for _, m := range enumRe.FindAllStringSubmatch(string(b), -1) {
		if m[1] != name {
			continue
		}
		var out []Field
		for _, line := range strings.Split(m[2], "\n") {
			code, comment, _ := strings.Cut(line, "//")
			code, comment = strings.TrimSpace(code), strings.TrimSpace(comment)
			switch {
			case strings.Contains(code, "="):
				return nil, fmt.Errorf("%s: enum %s: %q sets a value (the Go side assumes indices)", file, name, code)
			case code != "":
				out = append(out, Field{Name: strings.TrimSuffix(code, ","), Comment: comment})
			case comment != "" && len(out) > 0:
				out[len(out)-1].Comment += " " + comment
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: no enum %s", file, name)
}
