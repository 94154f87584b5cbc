package structure

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// freshness names, for every //go:generate directive of the module ("dir: command"), the test
// that regenerates or re-derives its output and fails when the committed files differ from what
// the generator's input gives now.
var freshness = map[string]string{
	"cpu/gemm: go run gen_kernels.go":                                   "cpu/gemm TestGeneratedKernels",
	"cpu/gemm: go run gen_neon.go":                                      "cpu/gemm TestGeneratedKernels",
	"cpu/gemm: go run gen_bf16_neon.go":                                 "cpu/gemm TestGeneratedKernels",
	"kernels: go run ./internal/cuda2go/run ..":                         "kernels TestGeneratedFilesUpToDate",
	"onnx: protoc --go_out=. --go_opt=paths=source_relative onnx.proto": "onnx TestGeneratedSchemaUpToDate",
}

// TestEveryGeneratorChecked: each //go:generate directive in the tree has a freshness test
// (freshness), that test exists in its package, and freshness names no directive that is gone.
func TestEveryGeneratorChecked(t *testing.T) {
	root := filepath.Join("..", "..")
	found := map[string]bool{}
	err := walkGo(root, func(rel string, src []byte) {
		sc := bufio.NewScanner(bytes.NewReader(src))
		for sc.Scan() {
			if cmd, ok := strings.CutPrefix(sc.Text(), "//go:generate "); ok {
				found[filepath.ToSlash(filepath.Dir(rel))+": "+strings.TrimSpace(cmd)] = true
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	for d := range found {
		test, ok := freshness[d]
		if !ok {
			t.Errorf("%q has no freshness test: write one that fails when its output is stale, and name it in freshness", d)
			continue
		}
		pkg, name, _ := strings.Cut(test, " ")
		if !hasTest(t, filepath.Join(root, pkg), name) {
			t.Errorf("%q: no func %s in %s's tests", d, name, pkg)
		}
	}
	for d := range freshness {
		if !found[d] {
			t.Errorf("freshness names %q, which no file has: drop the entry", d)
		}
	}
}

// hasTest reports whether a _test.go file of dir declares func name.
func hasTest(t *testing.T, dir, name string) bool {
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	decl := regexp.MustCompile(`(?m)^func ` + regexp.QuoteMeta(name) + `\(t \*testing\.T\)`)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if decl.Match(src) {
			return true
		}
	}
	return false
}

// walkGo calls visit with the path (relative to root) and contents of every .go file of the
// module, skipping testdata and hidden directories.
func walkGo(root string, visit func(rel string, src []byte)) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		visit(filepath.ToSlash(rel), src)
		return nil
	})
}
