package npzfile

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"landscape/internal/testenv"
)

// numpyLoads reports whether numpy.load reads every array of the archive b (and its error).
func numpyLoads(t *testing.T, py string, b []byte) (bool, string) {
	p := filepath.Join(t.TempDir(), "a.npz")
	os.WriteFile(p, b, 0o644)
	out, err := exec.Command(py, "-c", `import sys, numpy as np
z = np.load(sys.argv[1])
for k in z.files:
    z[k]
`, p).CombinedOutput()
	return err == nil, strings.TrimSpace(string(out))
}

// The reader agrees with numpy.load on FuzzNPZ's seeds: numpy refuses every file we refuse
// (the bit-flipped array, the cut archive, the broken headers) and reads every one we read.
func TestAgreesWithNumpy(t *testing.T) {
	py := testenv.Python(t, "numpy")
	for _, s := range npzSeeds(t) {
		err := readAll(t, s.Args[0].([]byte))
		ok, msg := numpyLoads(t, py, s.Args[0].([]byte))
		if (err == nil) != ok {
			t.Errorf("%s: we say %v; numpy.load ok=%v %s", s.Name, err, ok, msg)
		}
	}
}
