package view

// The browser tests load pages in Debian's chromium, headless, with WebGL on SwiftShader (the
// CPU): the same page a reader opens. They skip when chromium is not installed and cannot be
// (scripts/deps.sh --browser installs it as root on Debian), except under CI=true.

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"landscape/internal/browsertest"
	"landscape/surface"
)

func abs(v float64) float64 { return max(v, -v) }

func near(a, b, rel float64) bool { d := a - b; return d <= rel*max(b, -b) && -d <= rel*max(b, -b) }

// TestBrowserStaticPage opens the offline page of two 2D files (one with Hessian eigenvalues,
// one with gaps), a 1D file with eigenvalues and a trajectory, and checks what a reader sees
// and does: the 3D surface, the read-outs, linked cameras, log scale and clipping, save PNG,
// and that it makes no request outside the page.
func TestBrowserStaticPage(t *testing.T) {
	html, sa := writeStaticPage(t)
	p := browsertest.New(t)
	p.Run(t, "loading the page", chromedp.Navigate("file://"+html))
	p.WaitFor(t, "the page drawn", `document.body.dataset.version >= 1 && document.querySelector('#surf-0 canvas')`, 60*time.Second)
	p.WaitFor(t, "plotly to finish", `document.getElementById('heat-2') === null && document.getElementById('line-2').data && document.getElementById('surf-1')._fullLayout`, 30*time.Second)
	checkSurfaceDrawn(t, p)
	i, j := 14, 5
	checkReadouts(t, p, sa, i, j)
	checkTrajectoryAndCameras(t, p)
	checkLogAndClip(t, p, sa, i, j)
	checkSavePNG(t, p)
	if errs := p.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	for _, u := range p.Requests() {
		if !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:") {
			t.Errorf("the offline page requested %s", u)
		}
	}
}

// writeStaticPage writes the static page's files: a.npz (21×17, with Hessian eigenvalues: a
// ratio map), b.npz (21×17, every fifth point missing), line.npz (1D, 31 points, with
// eigenvalues: a ratio curve) and a trajectory, and the page of them; it returns the page's
// path and a's surface.
func writeStaticPage(t *testing.T) (html string, sa *surface.Surface) {
	dir := t.TempDir()
	a, b, line := filepath.Join(dir, "a.npz"), filepath.Join(dir, "b.npz"), filepath.Join(dir, "line.npz")
	sa = writeSurface(t, a, 21, 17, all)
	eigs(sa)
	if err := sa.Save(a); err != nil {
		t.Fatal(err)
	}
	writeSurface(t, b, 21, 17, func(k int) bool { return k%5 != 0 })
	sl := writeSurface(t, line, 31, 0, all)
	eigs(sl)
	if err := sl.Save(line); err != nil {
		t.Fatal(err)
	}
	traj := filepath.Join(dir, "traj.npz")
	writeTrajectory(t, traj, []float64{-0.8, -0.4, 0, 0.1}, []float64{0.6, 0.3, 0.1, 0}, []float64{0.7, 0.2})
	d, err := Load([]string{a, b, line}, traj, Options{VMin: nan, VMax: nan})
	if err != nil {
		t.Fatal(err)
	}
	html = filepath.Join(dir, "page.html")
	if err := WriteFile(html, d); err != nil {
		t.Fatal(err)
	}
	return html, sa
}

// checkSurfaceDrawn checks that the 3D surface is drawn: the WebGL canvas, in the middle, is
// coloured and not uniform.
func checkSurfaceDrawn(t *testing.T, p *browsertest.Page) {
	var v, c float64
	end := time.Now().Add(30 * time.Second)
	for {
		v, c = browsertest.ColourStats(p.Screenshot(t, "#surf-0 canvas"))
		if v > 100 && c > 0.05 || time.Now().After(end) {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Logf("3D canvas: grey variance %.1f, coloured fraction %.3f", v, c)
	if v <= 100 || c <= 0.05 {
		t.Errorf("3D surface canvas looks blank: grey variance %.1f, coloured fraction %.3f (want > 100 and > 0.05)", v, c)
	}
}

// checkReadouts checks that the read-out names the point (i, j) of a under the cursor with its
// loss and |λmin/λmax|, that a gap of b reads as not computed, and the 1D curve's read-out.
func checkReadouts(t *testing.T, p *browsertest.Page, sa *surface.Surface, i, j int) {
	text := p.Hover(t, "heat-0", "readout-0", sa.X[i], sa.Y[j])
	t.Logf("read-out: %s", text)
	x, y, loss := browsertest.ReadoutLoss(t, text, true)
	if x != round4(sa.X[i]) || y != round4(sa.Y[j]) || !near(loss, bowl(sa.X[i], sa.Y[j]), 1e-6) {
		t.Errorf("hover at (%g, %g): read-out %q, want loss %.7g", sa.X[i], sa.Y[j], text, bowl(sa.X[i], sa.Y[j]))
	}
	var ratio float64
	if _, err := fmt.Sscanf(text[strings.Index(text, "|λmin/λmax| = "):], "|λmin/λmax| = %g", &ratio); err != nil || !near(ratio, abs(sa.Y[j])/2, 1e-3) {
		t.Errorf("read-out %q: want |λmin/λmax| = %.4g (%v)", text, abs(sa.Y[j])/2, err)
	}
	if !browsertest.Eval[bool](t, p, `!!document.getElementById('ratio-0').data && !document.getElementById('ratio-1')`) {
		t.Error("want a ratio map for a (max_eig, min_eig) and none for b")
	}
	// A gap reads as not computed (b's point k = 0 is (-1, -1)).
	if text := p.Hover(t, "heat-1", "readout-1", -1, -1); !strings.Contains(text, "not computed") {
		t.Errorf("hovering a gap: read-out %q, want 'not computed'", text)
	}
	// 1D: the curve's read-out.
	text = p.Hover(t, "line-2", "readout-2", 0.4, 1)
	if x, _, loss := browsertest.ReadoutLoss(t, text, false); x != 0.4 || !near(loss, bowl(0.4, 0), 1e-6) {
		t.Errorf("1D hover at x = 0.4: read-out %q, want loss %.7g", text, bowl(0.4, 0))
	}
	if !browsertest.Eval[bool](t, p, `document.getElementById('ratio-2').data[0].y.length === 31`) {
		t.Error("no 1D |λmin/λmax| curve for the 1D file with eigenvalues")
	}
}

// checkTrajectoryAndCameras checks that the trajectory is drawn on the 2D plots, and that the
// linked cameras follow a change.
func checkTrajectoryAndCameras(t *testing.T, p *browsertest.Page) {
	traces := browsertest.Eval[int](t, p, `document.getElementById('cont-0').data.length`)
	if traces != 2 {
		t.Errorf("contour plot has %d traces, want 2 (contours and the trajectory)", traces)
	}
	browsertest.Eval[int](t, p, `Plotly.relayout('surf-0', {'scene.camera': {eye: {x: 2.2, y: 0.1, z: 0.3}}}).then(function () { return 0; })`)
	p.WaitFor(t, "the other camera to follow", `(function () { var c = document.getElementById('surf-1')._fullLayout.scene.camera; return c && Math.abs(c.eye.x - 2.2) < 1e-9; })()`, 10*time.Second)
}

// checkLogAndClip checks that the log scale redraws the surface as log10 of the loss (at the
// point (i, j) of a), and that clipping at 1, still on the log scale, leaves no drawn value
// above log10(1) = 0.
func checkLogAndClip(t *testing.T, p *browsertest.Page, sa *surface.Surface, i, j int) {
	browsertest.Eval[bool](t, p, `(function () { var s = document.getElementById('scale'); s.value = 'log'; return s.dispatchEvent(new Event('change')); })()`)
	z := browsertest.Eval[float64](t, p, fmt.Sprintf(`document.getElementById('heat-0').data[0].z[%d][%d]`, j, i))
	if want := log10(bowl(sa.X[i], sa.Y[j])); !near(z, want, 1e-9) {
		t.Errorf("log scale: heat map value %g, want log10(loss) = %g", z, want)
	}
	top := browsertest.Eval[float64](t, p, `(function () { var s = document.getElementById('vmax'); s.value = '1'; s.dispatchEvent(new Event('input'));
		return Math.max.apply(null, document.getElementById('heat-0').data[0].z.flat().filter(function (v) { return v !== null; })); })()`)
	if top != 0 {
		t.Errorf("clip max 1 on a log scale: largest drawn value %g, want 0", top)
	}
}

// checkSavePNG checks that save PNG downloads a PNG of each plot of the first figure.
func checkSavePNG(t *testing.T, p *browsertest.Page) {
	dl := t.TempDir()
	p.AllowDownloads(t, dl)
	p.Run(t, "clicking save PNG", chromedp.Click(chromedp.CSS("#save-0")))
	end := time.Now().Add(30 * time.Second)
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
}

func TestBrowserLivePage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "live.npz")
	s := writeSurface(t, path, 15, 15, func(int) bool { return false }) // a scan just started
	srv := &Server{Files: []string{path, filepath.Join(dir, "later.npz")}, Opt: Options{VMin: nan, VMax: nan}, Poll: 100 * time.Millisecond}
	ctx, stop := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, "127.0.0.1:0", func(a net.Addr) { addr <- a.String() }) }()
	url := "http://" + <-addr + "/"

	p := browsertest.New(t)
	p.Run(t, "loading the live page", chromedp.Navigate(url))
	p.WaitFor(t, "the empty surface", `document.getElementById('meta-0') && document.getElementById('meta-0').textContent.indexOf('0 of 225') >= 0 && document.getElementById('heat-0').data`, 60*time.Second)
	for k := range 113 {
		a, b := s.Coord(k)
		s.Set(k, bowl(a, b), 50+10*a)
	}
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	p.WaitFor(t, "the half-done surface", `document.getElementById('meta-0') && document.getElementById('meta-0').textContent.indexOf('113 of 225') >= 0 && document.getElementById('heat-0').data`, 60*time.Second)
	p.WaitFor(t, "the missing file shown as awaited", `document.getElementById('meta-1').textContent.indexOf('waiting for') === 0`, 10*time.Second)
	count := `document.getElementById('heat-0').data[0].z.flat().filter(function (v) { return v !== null; }).length`
	before := browsertest.Eval[int](t, p, count)
	if before != 113 {
		t.Fatalf("live page shows %d points, want 113", before)
	}
	shot := p.Screenshot(t, "#heat-0")

	// the scan completes the surface, and a second file appears
	for k := range s.Len() {
		a, b := s.Coord(k)
		s.Set(k, bowl(a, b), 50+10*a)
	}
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	writeSurface(t, filepath.Join(dir, "later.npz"), 5, 0, all)
	p.WaitFor(t, "the completed surface", count+` === 225 && document.getElementById('meta-0').textContent.indexOf('225 of 225') >= 0`, 20*time.Second)
	p.WaitFor(t, "the second file", `document.getElementById('line-1') && document.getElementById('line-1').data`, 20*time.Second)
	if browsertest.Same(shot, p.Screenshot(t, "#heat-0")) {
		t.Error("the heat map looks the same after the new points arrived")
	}
	text := p.Hover(t, "heat-0", "readout-0", s.X[3], s.Y[14]) // k = 14·15 + 3, among the points computed last
	if _, _, loss := browsertest.ReadoutLoss(t, text, true); !near(loss, bowl(s.X[3], s.Y[14]), 1e-6) {
		t.Errorf("live read-out %q, want loss %.7g", text, bowl(s.X[3], s.Y[14]))
	}
	if errs := p.ConsoleErrors(); len(errs) > 0 {
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
	sc0 := writeSurface(t, c, 9, 9, func(k int) bool { return k < 40 })
	mx, mn := sc0.ExtraArray("max_eig"), sc0.ExtraArray("min_eig") // a ratio map, with the trajectory
	for k := range sc0.Len() {
		mx[k], mn[k] = 2, -1
	}
	if err := sc0.Save(c); err != nil {
		t.Fatal(err)
	}
	traj := filepath.Join(dir, "traj.npz")
	writeTrajectory(t, traj, []float64{-0.5, 0, 0.5}, []float64{0.5, 0, -0.2}, []float64{0.6, 0.3})
	md := filepath.Join(dir, "report.md")
	if err := os.WriteFile(md, []byte("# R\n\nfirst\n\n![ab](ab.png)\n\nsecond\n\n![c](c.png)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Report(md, map[string][]string{"ab.png": {a, b}, "c.png": {c + "@" + traj}}, "", Options{VMin: nan, VMax: nan})
	if err != nil {
		t.Fatal(err)
	}
	html := filepath.Join(dir, "index.html")
	if err := WriteFile(html, d); err != nil {
		t.Fatal(err)
	}
	p := browsertest.New(t)
	p.Run(t, "loading the report", chromedp.Navigate("file://"+html))
	p.WaitFor(t, "the figures drawn", `document.getElementById('heat-2') && document.getElementById('heat-2').data && document.getElementById('surf-2')._fullLayout`, 60*time.Second)
	cmax := func(n int) float64 {
		return browsertest.Eval[float64](t, p, fmt.Sprintf(`document.getElementById('surf-%d').data[0].cmax`, n))
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
	traces := browsertest.Eval[[]int](t, p, `['cont-0', 'cont-1', 'cont-2', 'ratio-2'].map(function (id) { return document.getElementById(id).data.length; })`)
	if fmt.Sprint(traces) != "[1 1 2 2]" {
		t.Errorf("traces of cont-0, cont-1, cont-2, ratio-2: %v, want [1 1 2 2] (the trajectory on figure 2 only)", traces)
	}
	if h := browsertest.Eval[string](t, p, `document.querySelector('.block').textContent`); !strings.Contains(h, "first") {
		t.Errorf("report text missing: %q", h)
	}
	if errs := p.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
