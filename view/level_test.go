package view

import (
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
