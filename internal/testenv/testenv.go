// Package testenv decides what a test does when an outside tool it checks against (PyTorch,
// numpy and the other Python modules of /usr/bin/python3, a one-node Slurm) is missing.
//
// The rule, the same for every such test: where the tool is missing the test skips with a
// message saying what is missing and how to install it (scripts/deps.sh), except where the tool
// is required, where the test fails instead. A tool is required under CI (environment variable
// CI=true) or where its own variable is set to anything but "" or "0": LANDSCAPE_REQUIRE_TORCH
// for the Python tests and the installed Fashion-MNIST, LANDSCAPE_REQUIRE_SLURM for the Slurm
// test, LANDSCAPE_REQUIRE_BROWSER for the chromium tests. .ci/run sets them, so that no check is silently skipped there.
package testenv

import (
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// The variables that make a tool required (besides CI=true).
const (
	Torch   = "LANDSCAPE_REQUIRE_TORCH"   // /usr/bin/python3 with PyTorch, numpy, scipy, h5py, …
	Slurm   = "LANDSCAPE_REQUIRE_SLURM"   // a one-node Slurm (scripts/slurm-local.sh)
	Browser = "LANDSCAPE_REQUIRE_BROWSER" // Debian's chromium, headless (internal/browsertest)
)

// PythonPath is the interpreter the Python tests run: Debian's, for which python3-torch and the
// other packages of scripts/deps.sh are installed (not a pyenv python3 found first on PATH).
const PythonPath = "/usr/bin/python3"

// FashionMNIST is where Debian's dataset-fashion-mnist (scripts/deps.sh) installs Fashion-MNIST.
const FashionMNIST = "/usr/share/datasets/fashion-mnist"

// FashionDir returns FashionMNIST after checking that its test images are there; where they are
// not it ends the test by Missing(t, Torch, …) (the PyTorch comparisons use them).
func FashionDir(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(FashionMNIST + "/t10k-images-idx3-ubyte.gz"); err != nil {
		Missing(t, Torch, "no Fashion-MNIST ("+err.Error()+"); scripts/deps.sh installs dataset-fashion-mnist")
	}
	return FashionMNIST
}

// Required reports whether the tests needing the tool of variable env must run: CI=true, or env
// set to anything but "" or "0".
func Required(env string) bool {
	v := os.Getenv(env)
	return os.Getenv("CI") == "true" || (v != "" && v != "0")
}

// Missing ends the test because an outside tool is missing, why saying what and how to install
// it: it fails the test where Required(env), and skips it otherwise.
func Missing(t testing.TB, env, why string) {
	t.Helper()
	if Required(env) {
		t.Fatalf("%s (required: CI=true or %s set)", why, env)
	} else {
		t.Skipf("skipping: %s", why)
	}
}

// imports caches, per module list, the last line of the error importing it ("" when it imports),
// so that a package's tests start the interpreter once per list.
var imports sync.Map // string -> func() string

// Python returns PythonPath after checking that it imports every module; where one is missing (or
// the interpreter is) it ends the test by Missing(t, Torch, …).
func Python(t testing.TB, modules ...string) string {
	t.Helper()
	list := strings.Join(modules, ", ")
	check, _ := imports.LoadOrStore(list, sync.OnceValue(func() string {
		out, err := exec.Command(PythonPath, "-c", "import "+strings.Join(append([]string{"sys"}, modules...), ", ")).CombinedOutput()
		if err == nil {
			return ""
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		return err.Error() + ": " + lines[len(lines)-1]
	}))
	if msg := check.(func() string)(); msg != "" {
		Missing(t, Torch, PythonPath+" cannot import "+list+" (scripts/deps.sh installs it): "+msg)
	}
	return PythonPath
}

// PhotoDir is where Debian's python3-skimage (scripts/deps.sh) installs scikit-image's sample
// photographs (astronaut.png, chelsea.png, coffee.png, …).
const PhotoDir = "/usr/lib/python3/dist-packages/skimage/data"

// Photos returns PhotoDir after checking that its photographs are there; where they are not it
// ends the test by Missing(t, Torch, …) (the PIL comparisons of image resizing use them).
func Photos(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(PhotoDir + "/chelsea.png"); err != nil {
		Missing(t, Torch, "no sample photographs ("+err.Error()+"); scripts/deps.sh installs python3-skimage")
	}
	return PhotoDir
}
