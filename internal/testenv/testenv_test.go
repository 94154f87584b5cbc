package testenv

import (
	"os"
	"testing"
)

// recorder stands for the testing.T of a test that needs a tool: it records Fatalf and Skipf
// instead of ending the goroutine.
type recorder struct {
	testing.TB
	fatal, skip bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Fatalf(string, ...any) { r.fatal = true }
func (r *recorder) Skipf(string, ...any)  { r.skip = true }

func TestMissingModuleSkipsOrFails(t *testing.T) {
	for _, c := range []struct {
		ci, torch string
		fail      bool
	}{
		{"", "", false},
		{"", "0", false},
		{"false", "", false},
		{"", "1", true},
		{"", "yes", true},
		{"true", "", true},
		{"true", "0", true},
	} {
		t.Setenv("CI", c.ci)
		t.Setenv(Torch, c.torch)
		r := &recorder{TB: t}
		Python(r, "landscape_testenv_no_such_module")
		if r.fatal != c.fail || r.skip == c.fail {
			t.Errorf("CI=%q %s=%q: failed %v, skipped %v; want failed %v", c.ci, Torch, c.torch, r.fatal, r.skip, c.fail)
		}
	}
}

func TestSlurmVariableIsSeparate(t *testing.T) {
	t.Setenv("CI", "")
	t.Setenv(Torch, "1")
	t.Setenv(Slurm, "")
	r := &recorder{TB: t}
	Missing(r, Slurm, "no slurmd")
	if r.fatal || !r.skip {
		t.Errorf("%s=1 made the Slurm test required (failed %v, skipped %v)", Torch, r.fatal, r.skip)
	}
}

func TestPresentModule(t *testing.T) {
	if _, err := os.Stat(PythonPath); err != nil {
		Missing(t, Torch, PythonPath+" not found")
	}
	r := &recorder{TB: t}
	if p := Python(r, "json"); p != PythonPath || r.fatal || r.skip {
		t.Errorf("Python(json) = %q, failed %v, skipped %v", p, r.fatal, r.skip)
	}
	if p := Python(r); p != PythonPath || r.fatal || r.skip {
		t.Errorf("Python() = %q, failed %v, skipped %v", p, r.fatal, r.skip)
	}
}
