// Package fuzzseed keeps the committed seed corpora of the fuzz targets: the files
// testdata/fuzz/FuzzXxx/NAME, in Go's corpus file format ("go test fuzz v1" and one Go literal
// per argument), that `go test` runs as ordinary test cases and `go test -fuzz` mutates.
//
// Each package lists its seeds in code (valid inputs built by its own writers, and broken
// ones); Sync writes them when LANDSCAPE_WRITE_FUZZ_SEEDS=1 and otherwise checks that each is
// committed, so that a seed added in code is not forgotten in testdata.
package fuzzseed

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Seed is one corpus entry: a file name and the fuzz function's arguments.
type Seed struct {
	Name string
	Args []any
}

// Encode writes args in Go's corpus file format.
func Encode(args ...any) ([]byte, error) {
	var b strings.Builder
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%s)\n", strconv.Quote(string(v)))
		case string:
			fmt.Fprintf(&b, "string(%s)\n", strconv.Quote(v))
		case int:
			fmt.Fprintf(&b, "int(%d)\n", v)
		case uint8:
			fmt.Fprintf(&b, "byte(%d)\n", v)
		case bool:
			fmt.Fprintf(&b, "bool(%v)\n", v)
		default:
			return nil, fmt.Errorf("fuzzseed: argument of type %T", a)
		}
	}
	return []byte(b.String()), nil
}

// Sync writes (LANDSCAPE_WRITE_FUZZ_SEEDS=1) or checks the seeds of target under
// testdata/fuzz/target.
func Sync(t *testing.T, target string, seeds []Seed) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	write := os.Getenv("LANDSCAPE_WRITE_FUZZ_SEEDS") == "1"
	if write {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range seeds {
		b, err := Encode(s.Args...)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "seed-"+s.Name)
		if write {
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		} else if _, err := os.Stat(path); err != nil {
			t.Errorf("seed %s of %s is not committed (%v): run LANDSCAPE_WRITE_FUZZ_SEEDS=1 go test -run Seeds", s.Name, target, err)
		}
	}
}

// Add adds the seeds to f's corpus (beside the committed files, which go test reads itself).
func Add(f *testing.F, seeds []Seed) {
	for _, s := range seeds {
		f.Add(s.Args...)
	}
}

// New returns the seed called name with the fuzz function's arguments.
func New(name string, args ...any) Seed { return Seed{Name: name, Args: args} }
