// Package browsertest drives Debian's chromium, headless, with WebGL on SwiftShader (the CPU),
// for the tests of the pages of `landscape view`: console errors, screenshots, hovering. Chromium
// is installed when missing by scripts/deps.sh --browser (root on Debian); where it cannot be,
// the tests skip saying why, except under CI=true or LANDSCAPE_REQUIRE_BROWSER=1 (.ci/run),
// where they fail.
package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"landscape/internal/testenv"
)

// repoRoot is the folder holding go.mod, above the working directory (a test's package folder).
func repoRoot() string {
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// Chromium finds chromium, installing it with scripts/deps.sh --browser when missing.
func Chromium(t testing.TB) string {
	t.Helper()
	find := func() string {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				return p
			}
		}
		return ""
	}
	if p := find(); p != "" {
		return p
	}
	out, err := exec.Command(filepath.Join(repoRoot(), "scripts", "deps.sh"), "--browser").CombinedOutput()
	if p := find(); p != "" {
		return p
	}
	msg := fmt.Sprintf("chromium is not installed and scripts/deps.sh --browser could not install it (%v: %s)", err, strings.TrimSpace(string(out)))
	testenv.Missing(t, testenv.Browser, msg)
	return ""
}

// Page is a headless chromium tab recording console errors, exceptions and requests.
type Page struct {
	ctx      context.Context
	mu       sync.Mutex
	errors   []string
	requests []string
}

func New(t testing.TB) *Page {
	exe := Chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("use-gl", "angle"),
		chromedp.Flag("use-angle", "swiftshader"),
		chromedp.Flag("enable-unsafe-swiftshader", true),
		chromedp.Flag("ignore-gpu-blocklist", true),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	p := &Page{}
	ctx, cancelC := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		if r, ok := ev.(*network.EventRequestWillBeSent); ok {
			p.mu.Lock()
			p.requests = append(p.requests, r.Request.URL)
			p.mu.Unlock()
		}
	}))
	t.Cleanup(func() { cancelC(); cancelA() })
	p.ctx = ctx
	if err := chromedp.Do(ctx); err != nil { // starts the browser and its tab
		t.Fatalf("starting chromium %s: %v", exe, err)
	}
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				p.mu.Lock()
				p.errors = append(p.errors, m.String())
				p.mu.Unlock()
			}
		}
	}()
	return p
}

// Run runs browser actions, each step limited to two minutes.
func (p *Page) Run(t testing.TB, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v (console errors so far: %v)", what, err, p.ConsoleErrors())
	}
}

func (p *Page) ConsoleErrors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errors...)
}

// Eval evaluates a JavaScript expression (awaiting a promise) into a T.
func Eval[T any](t testing.TB, p *Page, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %s: %v (console errors so far: %v)", expr, err, p.ConsoleErrors())
	}
	return v
}

// WaitFor polls a JavaScript condition until it holds.
func (p *Page) WaitFor(t testing.TB, what, cond string, timeout time.Duration) {
	t.Helper()
	end := time.Now().Add(timeout)
	for !Eval[bool](t, p, "!!("+cond+")") {
		if time.Now().After(end) {
			t.Fatalf("waited %v for %s (%s); console errors: %v", timeout, what, cond, p.ConsoleErrors())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Screenshot returns the picture of the element matched by sel.
func (p *Page) Screenshot(t testing.TB, sel string) image.Image {
	t.Helper()
	p.Run(t, "scrolling to "+sel, chromedp.ScrollIntoView(chromedp.CSS(sel)))
	ctx, cancel := context.WithTimeout(p.ctx, time.Minute)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("screenshot of %s: %v", sel, err)
	}
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		t.Fatalf("screenshot of %s: %v", sel, err)
	}
	return img
}

// ColourStats returns, over the middle of img (a quarter of the width and height in from each
// side, clear of colour bars and axes), the variance of the grey level and the fraction of
// strongly coloured pixels (max − min channel > 60 of 255: a Viridis surface, not grey axes).
func ColourStats(img image.Image) (variance, coloured float64) {
	b := img.Bounds()
	var n, sum, sum2, col float64
	for y := b.Min.Y + b.Dy()/4; y < b.Max.Y-b.Dy()/4; y++ {
		for x := b.Min.X + b.Dx()/4; x < b.Max.X-b.Dx()/4; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			grey := 0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)
			sum += grey
			sum2 += grey * grey
			n++
			if max(r, g, bl)-min(r, g, bl) > 60 {
				col++
			}
		}
	}
	mean := sum / n
	return sum2/n - mean*mean, col / n
}

// Hover moves the mouse onto data point (x, y) of the plot with id plot and returns the
// figure's read-out text once it names that point.
func (p *Page) Hover(t testing.TB, plot, readout string, x, y float64) string {
	t.Helper()
	xy := Eval[[]float64](t, p, fmt.Sprintf(`(function () {
		var gd = document.getElementById(%q);
		gd.scrollIntoView({block: 'center'});
		var fl = gd._fullLayout, r = gd.getBoundingClientRect();
		return [r.left + fl._size.l + fl.xaxis.d2p(%g), r.top + fl._size.t + fl.yaxis.d2p(%g)];
	})()`, plot, x, y))
	p.Run(t, "moving the mouse", chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, xy[0]-3, xy[1]-3), chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, xy[0], xy[1]))
	var text string
	end := time.Now().Add(10 * time.Second)
	for {
		text = Eval[string](t, p, fmt.Sprintf(`document.getElementById(%q).textContent`, readout))
		if strings.Contains(text, "x = ") {
			return text
		}
		if time.Now().After(end) {
			t.Fatalf("no read-out after hovering %s at (%g, %g) = pixel (%.0f, %.0f): %q; console errors %v", plot, x, y, xy[0], xy[1], text, p.ConsoleErrors())
		}
		p.Run(t, "moving the mouse", chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, xy[0]+1, xy[1]), chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, xy[0], xy[1]))
		time.Sleep(200 * time.Millisecond)
	}
}

// ReadoutLoss parses "x = X, y = Y: loss = L, ..." (y absent for 1D).
func ReadoutLoss(t testing.TB, text string, is2D bool) (x, y, loss float64) {
	t.Helper()
	var err error
	if is2D {
		_, err = fmt.Sscanf(text, "x = %g, y = %g: loss = %g,", &x, &y, &loss)
	} else {
		_, err = fmt.Sscanf(text, "x = %g: loss = %g,", &x, &loss)
	}
	if err != nil {
		t.Fatalf("read-out %q: %v", text, err)
	}
	return x, y, loss
}

// Same reports whether two pictures are identical.
func Same(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				return false
			}
		}
	}
	return true
}

// Requests lists the URLs the page requested so far.
func (p *Page) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...)
}

// AllowDownloads saves the page's downloads in dir.
func (p *Page) AllowDownloads(t testing.TB, dir string) {
	t.Helper()
	_, err := chromedp.CallBrowser(p.ctx, browser.SetDownloadBehavior,
		browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
	if err != nil {
		t.Fatalf("allowing downloads: %v", err)
	}
}
