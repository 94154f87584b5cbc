package view

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportReplacesMappedImages(t *testing.T) {
	dir := t.TempDir()
	a, b, l := filepath.Join(dir, "a.npz"), filepath.Join(dir, "b.npz"), filepath.Join(dir, "l.npz")
	writeSurface(t, a, 3, 3, all)
	writeSurface(t, b, 3, 3, all)
	writeSurface(t, l, 5, 0, all)
	md := filepath.Join(dir, "report.md")
	text := "# Title\n\nIntro text.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n![cmp](figures/cmp.png)\n\nMiddle text.\n\n" +
		"<img src=\"figures/a3d.png\" width=\"49%\"> <img src=\"figures/b3d.png\" width=\"49%\">\n\n![line](figures/line.png)\n\n![kept](figures/other.png)\n\nEnd.\n"
	if err := os.WriteFile(md, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	traj := filepath.Join(dir, "traj.npz")
	writeTrajectory(t, traj, []float64{0, 0.5}, []float64{0, 0.5}, []float64{0.5, 0.3})
	figs := map[string][]string{"figures/cmp.png": {a, b}, "figures/a3d.png": nil, "figures/b3d.png": nil, "figures/line.png": {l, a + "@" + traj}}
	d, err := Report(md, figs, "", Options{VMin: nan, VMax: nan})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Figures) != 4 {
		t.Fatalf("%d figures, want 4 (a, b, l, a)", len(d.Figures))
	}
	for n, f := range d.Figures {
		if (f.Trajectory != nil) != (n == 3) {
			t.Errorf("figure %d (%s) has trajectory %v; want one on the last figure only", n, f.Name, f.Trajectory)
		}
	}
	var groups [][]int
	var html strings.Builder
	for _, bl := range d.Blocks {
		html.WriteString(bl.HTML)
		if len(bl.Figures) > 0 {
			groups = append(groups, bl.Figures)
		}
	}
	if got := groups; len(got) != 2 || len(got[0]) != 2 || got[0][0] != 0 || got[0][1] != 1 || len(got[1]) != 2 || got[1][0] != 2 || got[1][1] != 3 {
		t.Errorf("groups %v, want [[0 1] [2 3]]", got)
	}
	h := html.String()
	for _, want := range []string{"<h1", "Intro text.", "<table>", "Middle text.", `src="figures/other.png"`, "End."} {
		if !strings.Contains(h, want) {
			t.Errorf("report HTML lacks %q:\n%s", want, h)
		}
	}
	for _, gone := range []string{"cmp.png", "a3d.png", "b3d.png", "line.png"} {
		if strings.Contains(h, gone) {
			t.Errorf("report HTML still has the image %s:\n%s", gone, h)
		}
	}
	var page bytes.Buffer
	if err := WritePage(&page, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.String(), `data-figures="0,1"`) || !strings.Contains(page.String(), `data-figures="2,3"`) {
		t.Error("page lacks the figure groups")
	}

	figs["figures/missing.png"] = []string{a}
	if _, err := Report(md, figs, "", Options{}); err == nil || !strings.Contains(err.Error(), "figures/missing.png") {
		t.Errorf("a --figure the report lacks: %v", err)
	}
}

func TestParseFigure(t *testing.T) {
	img, files, err := ParseFigure("f/x.png=a.npz,b.npz")
	if err != nil || img != "f/x.png" || len(files) != 2 || files[1] != "b.npz" {
		t.Errorf("got %q %v %v", img, files, err)
	}
	if _, files, err := ParseFigure("f/x.png="); err != nil || len(files) != 0 {
		t.Errorf("empty list: %v %v", files, err)
	}
	if _, _, err := ParseFigure("a.npz"); err == nil {
		t.Error("no '=' accepted")
	}
}
