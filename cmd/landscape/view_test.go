package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestViewWritesPage(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.npz")
	writeSurface(t, a, "-1:1:5", "-1:1:4", func(x, y float64) float64 { return 1 + x*x + y })
	out := mustRun(t, "view", a)
	page := filepath.Join(dir, "a.html")
	if strings.TrimSpace(out) != page {
		t.Errorf("printed %q, want the page's path %s", out, page)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"name":"a.npz"`) || !strings.Contains(string(b), "plotly.js v") {
		t.Error("the page lacks the surface's data or plotly.js")
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"view", a, "--vmin", "2", "--vmax", "1"}, "--vmin 2"},
		{[]string{"view", filepath.Join(dir, "none.npz")}, "none.npz"},
		{[]string{"view", a, "--figure", "x.png=" + a}, "--figure needs --report"},
		{[]string{"view", a, "--path", filepath.Join(dir, "nopath.npz")}, "--path"},
		{[]string{"view", a, "--serve", "nohostport"}, "--serve"},
	} {
		_, stderr, code := run(t, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("landscape %v: exit %d, stderr %q; want an error naming %q", c.args, code, stderr, c.want)
		}
	}
}

// TestViewServeStopsOnInterrupt serves a file, fetches the page and stops the server with
// SIGINT (Ctrl-C): exit status 0, promptly.
func TestViewServeStopsOnInterrupt(t *testing.T) {
	a := filepath.Join(t.TempDir(), "a.npz")
	writeSurface(t, a, "-1:1:3", "-1:1:3", func(x, y float64) float64 { return 1 + x })
	cmd := exec.Command(bin, "view", "--serve", "127.0.0.1:0", a)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stderr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the server's first line: %v", err)
	}
	url := regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+/`).FindString(line)
	if url == "" {
		t.Fatalf("no localhost URL in %q", line)
	}
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"live":true`) {
		t.Errorf("GET %s: %s, live page: %v", url, res.Status, strings.Contains(string(body), `"live":true`))
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { io.Copy(io.Discard, stderr); done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGINT: %v, want exit status 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the server did not stop within 10 s of SIGINT")
	}
}
