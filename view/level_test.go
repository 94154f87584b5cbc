package view

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"landscape/internal/browsertest"

	"landscape/surface"
)

// partialSampled is a 9×9 tolerance surface (loss 1 ± 0.04 from 60 of 100 images) holding the
// 5×5 level and 5 points of the next.
func partialSampled() *surface.Surface {
	ax := surface.Axis{Min: -1, Max: 1, Num: 9}
	s := surface.New(ax, ax, "train", surface.Settings{Examples: 100, Tolerance: 0.05})
	se, im := s.ExtraArray(surface.StdErrKey("train")), s.ExtraArray(surface.ImagesKey("train"))
	for _, k := range s.CoarseToFine()[:30] {
		s.Set(k, 1, 50)
		se[k], im[k] = 0.04, 60
	}
	return s
}

// TestFigureOfPartialFile: a file holding the 5×5 level of a 9×9 grid is laid out as that
// level at full extent, without holes, saying so; a tolerance file says its error bars.
func TestFigureOfPartialFile(t *testing.T) {
	s := partialSampled()
	s.Loss[s.CoarseToFine()[27]] = math.Inf(1) // diverged, not in the drawn level
	f := FromSurface("p.npz", s)
	if len(f.X) != 5 || len(f.Y) != 5 || f.X[0] != -1 || f.X[4] != 1 || f.Level != "level 5×5 of 9×9" {
		t.Fatalf("laid out x %v y %v level %q, want the 5×5 level", f.X, f.Y, f.Level)
	}
	for _, row := range f.State {
		for _, st := range row {
			if st != Finite {
				t.Fatalf("a hole in the drawn level: %v", f.State)
			}
		}
	}
	if f.Done != 30 || f.Total != 81 || f.Diverged != 1 {
		t.Errorf("done %d of %d, %d diverged, want 30 of 81, 1 diverged", f.Done, f.Total, f.Diverged)
	}
	if f.Images == nil || f.StdErr == nil || f.Images[4][4] != 60 || f.StdErr[0][0] != 0.04 {
		t.Errorf("images %v, standard errors %v: want 60 and 0.04 at every drawn point", f.Images, f.StdErr)
	}
	if !strings.Contains(f.Sampled, "largest standard error 0.04") || !strings.Contains(f.Sampled, "mean 60 of 100") {
		t.Errorf("sampled note %q", f.Sampled)
	}
}

// TestBrowserPartialTolerancePage: the page of a partial tolerance file draws the 5×5 level,
// says so, maps the images used and reads out each point's standard error.
func TestBrowserPartialTolerancePage(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "p.npz")
	if err := partialSampled().Save(f); err != nil {
		t.Fatal(err)
	}
	d, err := Load([]string{f}, "", Options{VMin: nan, VMax: nan})
	if err != nil {
		t.Fatal(err)
	}
	html := filepath.Join(dir, "page.html")
	if err := WriteFile(html, d); err != nil {
		t.Fatal(err)
	}
	p := browsertest.New(t)
	p.Run(t, "loading the page", chromedp.Navigate("file://"+html))
	p.WaitFor(t, "the images map drawn", `document.body.dataset.version >= 1 && document.getElementById('images-0') && document.getElementById('images-0').data`, 60*time.Second)
	if n := browsertest.Eval[int](t, p, `document.getElementById('heat-0').data[0].x.length`); n != 5 {
		t.Errorf("heat map has %d columns, want the 5 of the level", n)
	}
	meta := browsertest.Eval[string](t, p, `document.getElementById('meta-0').textContent`)
	for _, want := range []string{"30 of 81 points computed", "level 5×5 of 9×9", "largest standard error 0.04"} {
		if !strings.Contains(meta, want) {
			t.Errorf("figure caption %q lacks %q", meta, want)
		}
	}
	if text := p.Hover(t, "heat-0", "readout-0", 0.5, -0.5); !strings.Contains(text, "loss ± 0.0400 (standard error, 60 images)") {
		t.Errorf("read-out %q lacks the standard error and images", text)
	}
}

// TestBrowserLivePageDrawsLevels: `view --serve` of a coarse-to-fine scan in progress draws
// each complete level at full extent and says which ("level 5×5 of 15×15"), never holes, and
// the whole grid once every point is in.
func TestBrowserLivePageDrawsLevels(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.npz")
	s := writeSurface(t, path, 15, 15, func(int) bool { return false })
	order := s.CoarseToFine()
	url, _ := startServer(t, "127.0.0.1:0", 50*time.Millisecond, path)
	p := browsertest.New(t)
	p.Run(t, "loading the live page", chromedp.Navigate(url+"/"))
	p.WaitFor(t, "the empty surface", `document.getElementById('meta-0') && document.getElementById('meta-0').textContent.indexOf('0 of 225') >= 0`, 60*time.Second)
	columns := `document.getElementById('heat-0').data[0].x.length`
	shown := `document.getElementById('heat-0').data[0].z.flat().filter(function (v) { return v !== null; }).length`
	for _, c := range []struct {
		points, side int
		level        string
	}{{9, 3, "level 3×3 of 15×15"}, {30, 5, "level 5×5 of 15×15"}, {64, 8, "level 8×8 of 15×15"}, {225, 15, ""}} {
		for _, k := range order[:c.points] {
			a, b := s.Coord(k)
			s.Set(k, bowl(a, b), 50)
		}
		if err := s.Save(path); err != nil {
			t.Fatal(err)
		}
		done := fmt.Sprintf("%d of 225", c.points)
		p.WaitFor(t, done+" points", fmt.Sprintf(`document.getElementById('meta-0').textContent.indexOf(%q) >= 0 && %s === %d`, done, columns, c.side), 20*time.Second)
		meta := browsertest.Eval[string](t, p, `document.getElementById('meta-0').textContent`)
		if c.level != "" && !strings.Contains(meta, c.level) || c.level == "" && strings.Contains(meta, "level") {
			t.Errorf("%d points: caption %q, want level %q", c.points, meta, c.level)
		}
		if n := browsertest.Eval[int](t, p, shown); n != c.side*c.side {
			t.Errorf("%d points: heat map shows %d values, want the %d of the %d×%d level (no holes)", c.points, n, c.side*c.side, c.side, c.side)
		}
		if x := browsertest.Eval[[]float64](t, p, `document.getElementById('heat-0').data[0].x`); x[0] != -1 || x[len(x)-1] != 1 {
			t.Errorf("%d points: heat map x %v does not span [-1, 1]", c.points, x)
		}
	}
	if errs := p.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
