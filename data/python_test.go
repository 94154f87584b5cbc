package data

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

const python = "/usr/bin/python3"

// needPython skips the test when /usr/bin/python3 cannot import the modules, except under CI
// (CI=true or LANDSCAPE_REQUIRE_TORCH set), where the test must run and fails instead.
func needPython(t *testing.T, modules ...string) {
	t.Helper()
	out, err := exec.Command(python, "-c", "import "+strings.Join(modules, ", ")).CombinedOutput()
	if err == nil {
		return
	}
	msg := strings.TrimSpace(string(out))
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		msg = msg[i+1:]
	}
	if os.Getenv("CI") == "true" || os.Getenv("LANDSCAPE_REQUIRE_TORCH") != "" {
		t.Fatalf("%s cannot import %s (scripts/deps.sh installs it): %s", python, strings.Join(modules, ", "), msg)
	}
	t.Skipf("%s cannot import %s: %s", python, strings.Join(modules, ", "), msg)
}

// runPython runs a script with arguments and fails the test on error.
func runPython(t *testing.T, script string, args ...string) string {
	t.Helper()
	out, err := exec.Command(python, append([]string{"-c", script}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	return string(out)
}
