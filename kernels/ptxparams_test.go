package kernels

// The check of the generated kernel table against the PTX (TestSignaturesMatchPTX): each
// entry's parameter sizes, and how its code uses each 8-byte parameter.

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	entryRe = regexp.MustCompile(`(?s)\.entry\s+([A-Za-z_$][\w$]*)\s*\((.*?)\)`)
	paramRe = regexp.MustCompile(`\.param\s+\.(u64|s64|b64|u32|s32|b32|f32|f64)\b`)
)

// EntryParamSizes returns, for every .entry of a PTX module, the sizes in bytes of its
// parameters in order, as the driver will read them.
func EntryParamSizes(ptx string) map[string][]int {
	out := map[string][]int{}
	for _, m := range entryRe.FindAllStringSubmatch(ptx, -1) {
		var sizes []int
		for _, p := range paramRe.FindAllStringSubmatch(m[2], -1) {
			if strings.HasSuffix(p[1], "64") {
				sizes = append(sizes, 8)
			} else {
				sizes = append(sizes, 4)
			}
		}
		out[m[1]] = sizes
	}
	return out
}

var ldParamRe = regexp.MustCompile(`ld\.param\.[usb]64\s+(%rd\d+),\s*\[([A-Za-z_$][\w$]*)_param_(\d+)\]`)

// ParamUse says how a kernel's code uses an 8-byte parameter: as an address (the register it
// is loaded into, or one derived from it by add/sub/mov/selp, is converted by cvta.to.global,
// is the address of a load, store or cp.async, or is compared with 0 as a null pointer) or as
// a number (the loaded register is multiplied, shifted, divided or converted by cvt).
type ParamUse struct{ Address, Number bool }

var (
	insRe     = regexp.MustCompile(`(?m)^\s*(?:@!?%p\d+\s+)?([a-z][\w.:]*)\s+([^;]*);`)
	regRe     = regexp.MustCompile(`%rd\d+`)
	addrUseRe = regexp.MustCompile(`\[(%rd\d+)(?:\+-?\d+)?\]`)
)

// EntryParamUses returns, per entry and 8-byte parameter index, how the PTX uses it.
func EntryParamUses(ptx string) map[string]map[int]ParamUse {
	out := map[string]map[int]ParamUse{}
	for _, m := range entryRe.FindAllStringSubmatchIndex(ptx, -1) {
		entry := ptx[m[2]:m[3]]
		body := ptx[m[1]:]
		if end := strings.Index(body, "\n}"); end >= 0 {
			body = body[:end]
		}
		ins := insRe.FindAllStringSubmatch(body, -1)
		uses := map[int]ParamUse{}
		for _, ld := range ldParamRe.FindAllStringSubmatch(body, -1) {
			if ld[2] != entry {
				continue
			}
			var idx int
			fmt.Sscan(ld[3], &idx)
			raw := ld[1]
			derived := map[string]bool{raw: true}
			u := uses[idx]
			for pass := 0; pass < 2; pass++ { // twice: loops use registers defined below them
				for _, in := range ins {
					op, args := in[1], in[2]
					regs := regRe.FindAllString(args, -1)
					for _, a := range addrUseRe.FindAllStringSubmatch(args, -1) {
						if derived[a[1]] && (strings.HasPrefix(op, "ld.") || strings.HasPrefix(op, "st.") ||
							strings.HasPrefix(op, "cp.async") || strings.HasPrefix(op, "atom.") || strings.HasPrefix(op, "red.")) {
							u.Address = true
						}
					}
					if len(regs) < 2 || !strings.Contains(args, ",") {
						continue
					}
					dst, srcs := regs[0], regs[1:]
					if strings.HasPrefix(strings.TrimSpace(args), "[") {
						continue // a store: no destination register
					}
					from := false
					for _, r := range srcs {
						from = from || derived[r]
					}
					if !from {
						continue
					}
					switch {
					case strings.HasPrefix(op, "cvta.to.global"):
						u.Address = true
					case strings.HasPrefix(op, "setp.") && strings.HasSuffix(strings.TrimSpace(args), ", 0"):
						u.Address = true
					case strings.HasPrefix(op, "add.") || strings.HasPrefix(op, "sub.") || strings.HasPrefix(op, "mov.") || strings.HasPrefix(op, "selp."):
						derived[dst] = true
					}
					if slicesContains(srcs, raw) && (strings.HasPrefix(op, "mul.") || strings.HasPrefix(op, "mad.") ||
						strings.HasPrefix(op, "cvt.") || strings.HasPrefix(op, "div.") || strings.HasPrefix(op, "rem.") || strings.HasPrefix(op, "shl.")) {
						u.Number = true
					}
				}
			}
			uses[idx] = u
		}
		out[entry] = uses
	}
	return out
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// usedParam tells whether the entry loads parameter i at all.
func usedParam(ptx, entry string, i int) bool {
	return strings.Contains(ptx, fmt.Sprintf("[%s_param_%d]", entry, i))
}

// Verify checks that every declared kernel exists in its module with parameters of the declared
// sizes, that 8-byte parameters declared pointers are used as addresses and those declared
// long long as numbers, and that the modules hold no undeclared entry.
func Verify() error { return verify(Kernels) }

func verify(table map[string]Kernel) error {
	declared := map[string]bool{}
	for _, mod := range Modules() {
		src, err := PTX(mod)
		if err != nil {
			return err
		}
		uses := EntryParamUses(src)
		for name, sizes := range EntryParamSizes(src) {
			k, ok := table[name]
			if !ok || k.Module != mod {
				return fmt.Errorf("kernels: PTX module %s has undeclared entry %s", mod, name)
			}
			declared[name] = true
			if len(sizes) != len(k.Params) {
				return fmt.Errorf("kernels: %s has %d parameters in PTX, %d declared", name, len(sizes), len(k.Params))
			}
			for i, s := range sizes {
				if s != k.Params[i].Size() {
					return fmt.Errorf("kernels: %s parameter %d is %d bytes in PTX, declared %c (%d bytes)", name, i, s, k.Params[i], k.Params[i].Size())
				}
				u := uses[name][i]
				if k.Params[i] == Ptr && u.Number || k.Params[i] == I64 && u.Address {
					return fmt.Errorf("kernels: %s parameter %d (%s) is declared %c but the PTX uses it as %s", name, i, k.Names[i], k.Params[i],
						map[bool]string{true: "an address", false: "a number"}[u.Address])
				}
				if k.Params[i] == Ptr && !u.Address && !u.Number && usedParam(src, name, i) {
					return fmt.Errorf("kernels: %s parameter %d (%s) is declared a pointer but the PTX never uses it as an address", name, i, k.Names[i])
				}
			}
		}
	}
	for name := range table {
		if !declared[name] {
			return fmt.Errorf("kernels: declared kernel %s is in no PTX module", name)
		}
	}
	return nil
}

// Size is the parameter's size in bytes.
func (p Param) Size() int {
	if p == I32 || p == F32 {
		return 4
	}
	return 8
}
