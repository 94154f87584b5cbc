// Package cuda2go reads the kernel signatures of kernels/*.cu and writes the Go that launches
// them (as mumax's cuda2go does): kernels/signatures_gen.go, the parameter table the PTX is
// checked against, and gpu/launch_gen.go, one argument struct per signature with a field per
// parameter (named, typed by kind), so that a call site cannot pass a wrong kind of argument
// or pass them in the wrong order. Run by `go generate ./kernels`.
package cuda2go

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Param is one kernel parameter as declared in C.
type Param struct {
	Name string // C name
	Type string // C type without const/__restrict__, e.g. "float *", "int", "i64"
	Kind byte   // 'p' pointer, 'i' int (32-bit), 'l' long long (64-bit), 'f' float
}

// Kernel is one LS_KERNEL entry point.
type Kernel struct {
	Module string // .cu file's base name
	Name   string
	Group  string // the macro its parameter list comes from (e.g. CONV_PARAMS), or the name
	Params []Param
}

var (
	defineRe = regexp.MustCompile(`(?m)^#define\s+([A-Z_][A-Z0-9_]*)\s+((?:[^\n]*\\\n)*[^\n]*)`)
	kernelRe = regexp.MustCompile(`LS_KERNEL\s+void\s+(?:__launch_bounds__\s*\([^)]*\)\s*)?([A-Za-z_]\w*)\s*\(`)
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
			out = append(out, Kernel{Module: module, Name: name, Group: group, Params: params})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
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
		default:
			return nil, fmt.Errorf("parameter %s: type %q has no Go kind (want a pointer, int, i64 or float)", name, typ)
		}
		out = append(out, Param{Name: name, Type: typ, Kind: kind})
	}
	return out, nil
}
