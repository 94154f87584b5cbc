package kernels

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

// Verify checks that every declared kernel exists in its module with parameters of the declared
// sizes, and that the modules hold no undeclared entry.
func Verify() error {
	declared := map[string]bool{}
	for _, mod := range Modules() {
		src, err := PTX(mod)
		if err != nil {
			return err
		}
		for name, sizes := range EntryParamSizes(src) {
			k, ok := Kernels[name]
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
			}
		}
	}
	for name := range Kernels {
		if !declared[name] {
			return fmt.Errorf("kernels: declared kernel %s is in no PTX module", name)
		}
	}
	return nil
}
