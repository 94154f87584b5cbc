package data

import (
	"os/exec"
	"testing"

	"landscape/internal/testenv"
)

// runPython runs a script with /usr/bin/python3 (checked first by testenv.Python) and fails the
// test on error.
func runPython(t *testing.T, script string, args ...string) string {
	t.Helper()
	out, err := exec.Command(testenv.PythonPath, append([]string{"-c", script}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	return string(out)
}
