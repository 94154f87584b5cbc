package main

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"landscape/internal/browsertest"
	"landscape/model"
	"landscape/surface"
)

// TestScanViewFillsInLive runs a real scan with --view and watches its page in chromium: the
// page shows the surface partly computed, then the whole surface, whose read-out under the cursor is the file's loss; the scan
// ends with status 0 and the page says the server stopped.
func TestScanViewFillsInLive(t *testing.T) {
	p := browsertest.New(t) // skips (or fails under CI) first when there is no chromium
	dir := t.TempDir()
	spec := writeIDX(t, dir, 400, 16)
	w := writeWeights(t, dir, "resnet8", model.Config{InC: 1, HW: 16, Classes: 10}, 1)
	out := filepath.Join(dir, "live.npz")
	cmd, url, scanLog := startViewScan(t, "scan", "--model", "resnet8", "--weights", w, "--data", spec, "--split", "test",
		"--x", "-1:1:17", "--y", "-1:1:17", "--workers", "1", "--batch-size", "100", "--save-every", "200ms",
		"--quiet", "--out", out, "--view", "127.0.0.1:0")
	defer cmd.Process.Kill()
	t0 := time.Now()
	p.Run(t, "loading the live page", chromedp.Navigate(url))
	t.Logf("page loaded after %v", time.Since(t0))
	counts := watchCounts(t, p, 289, scanLog)
	// An earlier count, then the full one, which only an update can bring: the page filled in.
	if len(counts) < 2 {
		t.Errorf("the page showed only the counts %v: it should fill in while the scan runs", counts)
	}
	t.Logf("complete after %v", time.Since(t0))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("scan --view: %v\n%s", err, scanLog())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the scan did not end within 60 s of its last point")
	}
	p.WaitFor(t, "the page to say the server stopped", `document.getElementById('status').textContent.indexOf('server stopped') >= 0`, 10*time.Second)
	sf, err := surface.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	k := sf.Index(12, 3)
	x, y := sf.Coord(k)
	text := p.Hover(t, "heat-0", "readout-0", x, y)
	if _, _, loss := browsertest.ReadoutLoss(t, text, true); abs(loss-sf.Loss[k]) > 1e-6*abs(sf.Loss[k]) {
		t.Errorf("read-out %q at (%g, %g), want the file's loss %.7g", text, x, y, sf.Loss[k])
	}
	if errs := p.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

// startViewScan starts landscape with args (a command serving its page with --view), waits up
// to 60 s for the address it says it serves at, and returns the running command, that URL and
// a function returning what it has said on stderr since, each line with its time.
func startViewScan(t *testing.T, args ...string) (cmd *exec.Cmd, url string, scanLog func() string) {
	cmd = exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for url == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				cmd.Process.Kill()
				t.Fatal("scan --view ended without saying where it serves")
			}
			url = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+/`).FindString(l)
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			t.Fatal("scan --view did not say where it serves within 60 s")
		}
	}
	var mu sync.Mutex
	var log []string
	go func() {
		for l := range lines {
			mu.Lock()
			log = append(log, time.Now().Format("15:04:05.000 ")+l)
			mu.Unlock()
		}
	}()
	return cmd, url, func() string { mu.Lock(); defer mu.Unlock(); return strings.Join(log, "\n") }
}

// watchCounts reads the count of computed points the live page shows ("N of total points
// computed") every 100 ms until it shows all of them, and returns the counts it saw; after 3
// minutes it fails, with the scan's log.
func watchCounts(t *testing.T, p *browsertest.Page, total int, scanLog func() string) map[int]bool {
	t0 := time.Now()
	counts := map[int]bool{}
	re := regexp.MustCompile(`(\d+) of ` + strconv.Itoa(total) + ` points computed`)
	end := time.Now().Add(3 * time.Minute)
	for !counts[total] {
		if time.Now().After(end) {
			t.Fatalf("the page did not reach %d of %d points in 3 minutes; counts seen %v; console errors %v; scan says:\n%s",
				total, total, counts, p.ConsoleErrors(), scanLog())
		}
		meta := browsertest.Eval[string](t, p, `(document.getElementById('meta-0') || {}).textContent || ''`)
		if m := re.FindStringSubmatch(meta); m != nil {
			n, _ := strconv.Atoi(m[1])
			if !counts[n] {
				t.Logf("%v: %d", time.Since(t0), n)
			}
			counts[n] = true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return counts
}

func abs(v float64) float64 { return max(v, -v) }
