package plot

import "testing"

// TestFilePrefix checks where each file's figures go: next to the file, at --out-prefix for
// one file, and at <out-prefix>_<base name> for several.
func TestFilePrefix(t *testing.T) {
	for _, c := range []struct {
		out  string
		n    int
		path string
		want string
	}{
		{"", 1, "runs/a.npz", "runs/a"},
		{"", 3, "runs/a.npz", "runs/a"},
		{"figs/x", 1, "runs/a.npz", "figs/x"},
		{"figs/x", 2, "runs/a.npz", "figs/x_a"},
		{"figs/x", 2, "b", "figs/x_b"},
	} {
		if got := FilePrefix(c.out, c.n, c.path); got != c.want {
			t.Errorf("FilePrefix(%q, %d, %q) = %q, want %q", c.out, c.n, c.path, got, c.want)
		}
	}
}
