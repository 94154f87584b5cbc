package view

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net"
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
)

// The browser tests load pages in Debian's chromium, headless, with WebGL on SwiftShader (the
// CPU): the same page a reader opens. They skip when chromium is not installed and cannot be
// (scripts/deps.sh --browser installs it as root on Debian), except under CI=true.

// chromiumPath finds chromium, installing it with scripts/deps.sh --browser when missing.
func chromiumPath(t *testing.T) string {
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
	out, err := exec.Command("../scripts/deps.sh", "--browser").CombinedOutput()
	if p := find(); p != "" {
		return p
	}
	msg := fmt.Sprintf("chromium is not installed and scripts/deps.sh --browser could not install it (%v: %s)", err, strings.TrimSpace(string(out)))
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI=true requires the browser tests to run")
	}
	t.Skip(msg + "; skipping the browser tests")
	return ""
}

// page is a headless chromium tab recording console errors, exceptions and requests.
type page struct {
	ctx      context.Context
	mu       sync.Mutex
	errors   []string
	requests []string
}

func newPage(t *testing.T) *page {
	exe := chromiumPath(t)
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
	p := &page{}
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

// run runs browser actions, each step limited to two minutes.
func (p *page) run(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v (console errors so far: %v)", what, err, p.consoleErrors())
	}
}

func (p *page) consoleErrors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errors...)
}

// eval evaluates a JavaScript expression (awaiting a promise) into a T.
func eval[T any](t *testing.T, p *page, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %s: %v (console errors so far: %v)", expr, err, p.consoleErrors())
	}
	return v
}

// waitFor polls a JavaScript condition until it holds.
func (p *page) waitFor(t *testing.T, what, cond string, timeout time.Duration) {
	t.Helper()
	end := time.Now().Add(timeout)
	for !eval[bool](t, p, "!!("+cond+")") {
		if time.Now().After(end) {
			t.Fatalf("waited %v for %s (%s); console errors: %v", timeout, what, cond, p.consoleErrors())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// screenshot returns the picture of the element matched by sel.
func (p *page) screenshot(t *testing.T, sel string) image.Image {
	t.Helper()
	p.run(t, "scrolling to "+sel, chromedp.ScrollIntoView(chromedp.CSS(sel)))
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

// colourStats returns, over the middle of img (a quarter of the width and height in from each
// side, clear of colour bars and axes), the variance of the grey level and the fraction of
// strongly coloured pixels (max − min channel > 60 of 255: a Viridis surface, not grey axes).
func colourStats(img image.Image) (variance, coloured float64) {
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

// hover moves the mouse onto data point (x, y) of the plot with id plot and returns the
// figure's read-out text once it names that point.
func (p *page) hover(t *testing.T, plot, readout string, x, y float64) string {
	t.Helper()
	xy := eval[[]float64](t, p, fmt.Sprintf(`(function () {
		var gd = document.getElementById(%q);
		gd.scrollIntoView({block: 'center'});
		var fl = gd._fullLayout, r = gd.getBoundingClientRect();
		return [r.left + fl._size.l + fl.xaxis.d2p(%g), r.top + fl._size.t + fl.yaxis.d2p(%g)];
	})()`, plot, x, y))
	p.run(t, "moving the mouse", chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, xy[0]-3, xy[1]-3), chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, xy[0], xy[1]))
	var text string
	end := time.Now().Add(10 * time.Second)
	for {
		text = eval[string](t, p, fmt.Sprintf(`document.getElementById(%q).textContent`, readout))
		if strings.Contains(text, "x = ") {
			return text
		}
		if time.Now().After(end) {
			t.Fatalf("no read-out after hovering %s at (%g, %g) = pixel (%.0f, %.0f): %q; console errors %v", plot, x, y, xy[0], xy[1], text, p.consoleErrors())
		}
		p.run(t, "moving the mouse", chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, xy[0]+1, xy[1]), chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, xy[0], xy[1]))
		time.Sleep(200 * time.Millisecond)
	}
}

// readoutLoss parses "x = X, y = Y: loss = L, ..." (y absent for 1D).
func readoutLoss(t *testing.T, text string, is2D bool) (x, y, loss float64) {
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

func abs(v float64) float64 { return max(v, -v) }

func near(a, b, rel float64) bool { d := a - b; return d <= rel*max(b, -b) && -d <= rel*max(b, -b) }

func TestBrowserStaticPage(t *testing.T) {
	dir := t.TempDir()
	a, b, line := filepath.Join(dir, "a.npz"), filepath.Join(dir, "b.npz"), filepath.Join(dir, "line.npz")
	sa := writeSurface(t, a, 21, 17, all)
	eigs(sa) // a holds Hessian eigenvalues: a ratio map
	if err := sa.Save(a); err != nil {
		t.Fatal(err)
	}
	writeSurface(t, b, 21, 17, func(k int) bool { return k%5 != 0 }) // gaps
	writeSurface(t, line, 31, 0, all)
	traj := filepath.Join(dir, "traj.npz")
	writeTrajectory(t, traj, []float64{-0.8, -0.4, 0, 0.1}, []float64{0.6, 0.3, 0.1, 0}, []float64{0.7, 0.2})
	d, err := Load([]string{a, b, line}, traj, Options{VMin: nan, VMax: nan})
	if err != nil {
		t.Fatal(err)
	}
	html := filepath.Join(dir, "page.html")
	if err := WriteFile(html, d); err != nil {
		t.Fatal(err)
	}
	p := newPage(t)
	p.run(t, "loading the page", chromedp.Navigate("file://"+html))
	p.waitFor(t, "the page drawn", `document.body.dataset.version >= 1 && document.querySelector('#surf-0 canvas')`, 60*time.Second)
	p.waitFor(t, "plotly to finish", `document.getElementById('heat-2') === null && document.getElementById('line-2').data && document.getElementById('surf-1')._fullLayout`, 30*time.Second)

	// The 3D surface is drawn: the WebGL canvas, in the middle, is coloured and not uniform.
	var v, c float64
	end := time.Now().Add(30 * time.Second)
	for {
		v, c = colourStats(p.screenshot(t, "#surf-0 canvas"))
		if v > 100 && c > 0.05 || time.Now().After(end) {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Logf("3D canvas: grey variance %.1f, coloured fraction %.3f", v, c)
	if v <= 100 || c <= 0.05 {
		t.Errorf("3D surface canvas looks blank: grey variance %.1f, coloured fraction %.3f (want > 100 and > 0.05)", v, c)
	}

	// The read-out names the point under the cursor with its loss.
	i, j := 14, 5
	text := p.hover(t, "heat-0", "readout-0", sa.X[i], sa.Y[j])
	t.Logf("read-out: %s", text)
	x, y, loss := readoutLoss(t, text, true)
	if x != round4(sa.X[i]) || y != round4(sa.Y[j]) || !near(loss, bowl(sa.X[i], sa.Y[j]), 1e-6) {
		t.Errorf("hover at (%g, %g): read-out %q, want loss %.7g", sa.X[i], sa.Y[j], text, bowl(sa.X[i], sa.Y[j]))
	}
	var ratio float64
	if _, err := fmt.Sscanf(text[strings.Index(text, "|λmin/λmax| = "):], "|λmin/λmax| = %g", &ratio); err != nil || !near(ratio, abs(sa.Y[j])/2, 1e-3) {
		t.Errorf("read-out %q: want |λmin/λmax| = %.4g (%v)", text, abs(sa.Y[j])/2, err)
	}
	if !eval[bool](t, p, `!!document.getElementById('ratio-0').data && !document.getElementById('ratio-1')`) {
		t.Error("want a ratio map for a (max_eig, min_eig) and none for b")
	}
	// A gap reads as not computed (b's point k = 0 is (-1, -1)).
	if text := p.hover(t, "heat-1", "readout-1", -1, -1); !strings.Contains(text, "not computed") {
		t.Errorf("hovering a gap: read-out %q, want 'not computed'", text)
	}
	// 1D: the curve's read-out.
	text = p.hover(t, "line-2", "readout-2", 0.4, 1)
	if x, _, loss := readoutLoss(t, text, false); x != 0.4 || !near(loss, bowl(0.4, 0), 1e-6) {
		t.Errorf("1D hover at x = 0.4: read-out %q, want loss %.7g", text, bowl(0.4, 0))
	}

	// The trajectory is drawn on the 2D plots, and the linked cameras follow a change.
	traces := eval[int](t, p, `document.getElementById('cont-0').data.length`)
	if traces != 2 {
		t.Errorf("contour plot has %d traces, want 2 (contours and the trajectory)", traces)
	}
	eval[int](t, p, `Plotly.relayout('surf-0', {'scene.camera': {eye: {x: 2.2, y: 0.1, z: 0.3}}}).then(function () { return 0; })`)
	p.waitFor(t, "the other camera to follow", `(function () { var c = document.getElementById('surf-1')._fullLayout.scene.camera; return c && Math.abs(c.eye.x - 2.2) < 1e-9; })()`, 10*time.Second)

	// Log scale redraws the surface as log10 of the loss.
	eval[bool](t, p, `(function () { var s = document.getElementById('scale'); s.value = 'log'; return s.dispatchEvent(new Event('change')); })()`)
	z := eval[float64](t, p, fmt.Sprintf(`document.getElementById('heat-0').data[0].z[%d][%d]`, j, i))
	if want := log10(bowl(sa.X[i], sa.Y[j])); !near(z, want, 1e-9) {
		t.Errorf("log scale: heat map value %g, want log10(loss) = %g", z, want)
	}

	// Save PNG downloads a PNG of each plot of the figure.
	dl := t.TempDir()
	if _, err := chromedp.CallBrowser(p.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dl}); err != nil {
		t.Fatalf("allowing downloads: %v", err)
	}
	p.run(t, "clicking save PNG", chromedp.Click(chromedp.CSS("#save-0")))
	end = time.Now().Add(30 * time.Second)
	var pngs []string
	for len(pngs) < 3 && time.Now().Before(end) {
		time.Sleep(200 * time.Millisecond)
		pngs, _ = filepath.Glob(filepath.Join(dl, "*.png"))
	}
	if len(pngs) < 3 {
		t.Errorf("save PNG: %d files in the download folder, want 3 (surface, contours, heat map): %v", len(pngs), pngs)
	}
	for _, f := range pngs {
		if bs, err := os.ReadFile(f); err != nil || !bytes.HasPrefix(bs, []byte("\x89PNG")) {
			t.Errorf("%s is not a PNG (%v)", f, err)
		}
	}

	if errs := p.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	p.mu.Lock()
	for _, u := range p.requests {
		if !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:") {
			t.Errorf("the offline page requested %s", u)
		}
	}
	p.mu.Unlock()
}

func TestBrowserLivePage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "live.npz")
	half := func(k int) bool { return k < 113 }
	s := writeSurface(t, path, 15, 15, half)
	srv := &Server{Files: []string{path, filepath.Join(dir, "later.npz")}, Opt: Options{VMin: nan, VMax: nan}, Poll: 100 * time.Millisecond}
	ctx, stop := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, "127.0.0.1:0", func(a net.Addr) { addr <- a.String() }) }()
	url := "http://" + <-addr + "/"

	p := newPage(t)
	p.run(t, "loading the live page", chromedp.Navigate(url))
	p.waitFor(t, "the half-done surface", `document.getElementById('meta-0') && document.getElementById('meta-0').textContent.indexOf('113 of 225') >= 0 && document.getElementById('heat-0').data`, 60*time.Second)
	p.waitFor(t, "the missing file shown as awaited", `document.getElementById('meta-1').textContent.indexOf('waiting for') === 0`, 10*time.Second)
	count := `document.getElementById('heat-0').data[0].z.flat().filter(function (v) { return v !== null; }).length`
	before := eval[int](t, p, count)
	if before != 113 {
		t.Fatalf("live page shows %d points, want 113", before)
	}
	shot := p.screenshot(t, "#heat-0")

	// the scan completes the surface, and a second file appears
	for k := range s.Len() {
		a, b := s.Coord(k)
		s.Set(k, bowl(a, b), 50+10*a)
	}
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	writeSurface(t, filepath.Join(dir, "later.npz"), 5, 0, all)
	p.waitFor(t, "the completed surface", count+` === 225 && document.getElementById('meta-0').textContent.indexOf('225 of 225') >= 0`, 20*time.Second)
	p.waitFor(t, "the second file", `document.getElementById('line-1') && document.getElementById('line-1').data`, 20*time.Second)
	if same(shot, p.screenshot(t, "#heat-0")) {
		t.Error("the heat map looks the same after the new points arrived")
	}
	text := p.hover(t, "heat-0", "readout-0", s.X[3], s.Y[14]) // k = 3*15+14 = 59... computed late or early, both fine
	if _, _, loss := readoutLoss(t, text, true); !near(loss, bowl(s.X[3], s.Y[14]), 1e-6) {
		t.Errorf("live read-out %q, want loss %.7g", text, bowl(s.X[3], s.Y[14]))
	}
	if errs := p.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}

	// Stopping the server with the page still connected returns promptly and cleanly.
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve returned %v after its context ended, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("Serve did not return within 10 s of its context ending (an open event stream?)")
	}
}

func same(a, b image.Image) bool {
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

// TestBrowserReportPage loads a report page with two groups of figures: each group has its own
// colour scale, shared by its figures.
func TestBrowserReportPage(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.npz"), filepath.Join(dir, "b.npz"), filepath.Join(dir, "c.npz")
	sa := writeSurface(t, a, 9, 9, all)
	for k := range sa.Len() { // b: twice a's loss
		sa.Loss[k] *= 2
	}
	if err := sa.Save(b); err != nil {
		t.Fatal(err)
	}
	writeSurface(t, c, 9, 9, func(k int) bool { return k < 40 })
	md := filepath.Join(dir, "report.md")
	if err := os.WriteFile(md, []byte("# R\n\nfirst\n\n![ab](ab.png)\n\nsecond\n\n![c](c.png)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Report(md, map[string][]string{"ab.png": {a, b}, "c.png": {c}}, "", Options{VMin: nan, VMax: nan})
	if err != nil {
		t.Fatal(err)
	}
	html := filepath.Join(dir, "index.html")
	if err := WriteFile(html, d); err != nil {
		t.Fatal(err)
	}
	p := newPage(t)
	p.run(t, "loading the report", chromedp.Navigate("file://"+html))
	p.waitFor(t, "the figures drawn", `document.getElementById('heat-2') && document.getElementById('heat-2').data && document.getElementById('surf-2')._fullLayout`, 60*time.Second)
	cmax := func(n int) float64 {
		return eval[float64](t, p, fmt.Sprintf(`document.getElementById('surf-%d').data[0].cmax`, n))
	}
	maxLoss := func(s []float64, scale float64) float64 {
		m := 0.0
		for _, v := range s {
			if v == v {
				m = max(m, v*scale)
			}
		}
		return m
	}
	want := maxLoss(sa.Loss, 1) // sa now holds b's values
	if got0, got1 := cmax(0), cmax(1); got0 != want || got1 != want {
		t.Errorf("group 1 colour maxima %g and %g, want both %g (b's maximum)", got0, got1, want)
	}
	sc, err := LoadFigure(c)
	if err != nil {
		t.Fatal(err)
	}
	wantC := 0.0
	for _, row := range sc.Loss {
		for _, v := range row {
			if v == v {
				wantC = max(wantC, float64(v))
			}
		}
	}
	if got := cmax(2); got != wantC {
		t.Errorf("group 2 colour maximum %g, want its own maximum %g", got, wantC)
	}
	if h := eval[string](t, p, `document.querySelector('.block').textContent`); !strings.Contains(h, "first") {
		t.Errorf("report text missing: %q", h)
	}
	if errs := p.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
