package view

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

var (
	imgTag = regexp.MustCompile(`<img\b[^>]*?\bsrc="([^"]*)"[^>]*>`)
	// a paragraph holding nothing but images: the figures replace it whole
	imgPara = regexp.MustCompile(`<p>((?:\s*<img\b[^>]*>\s*)+)</p>`)
)

// Report reads a Markdown report (rendered with goldmark, tables and raw HTML allowed: it is
// our own demo's report) and makes a page of it in which every image whose src is a key of
// figures is replaced by the interactive figures of those surface files, side by side (an
// empty list removes the image: another figure shows it; FILE.npz@PATH.npz draws the
// trajectory PATH.npz on FILE.npz). Other images stay as they are,
// relative to the report.
func Report(mdPath string, figures map[string][]string, trajectory string, opt Options) (*Doc, error) {
	md, err := os.ReadFile(mdPath)
	if err != nil {
		return nil, fmt.Errorf("--report: %w", err)
	}
	var buf bytes.Buffer
	gm := goldmark.New(goldmark.WithExtensions(extension.Table), goldmark.WithRendererOptions(html.WithUnsafe()))
	if err := gm.Convert(md, &buf); err != nil {
		return nil, fmt.Errorf("--report %s: %w", mdPath, err)
	}
	page := imgPara.ReplaceAllStringFunc(buf.String(), func(p string) string {
		if m := imgTag.FindAllStringSubmatch(p, -1); allMapped(m, figures) {
			return imgPara.FindStringSubmatch(p)[1]
		}
		return p
	})
	d := &Doc{Options: opt}
	used := map[string]bool{}
	last := 0
	for _, m := range imgTag.FindAllStringSubmatchIndex(page, -1) {
		src := page[m[2]:m[3]]
		files, ok := figures[src]
		if !ok {
			continue
		}
		used[src] = true
		var group []int
		for _, f := range files { // a file in two groups is two figures: each is drawn once
			file, traj, _ := strings.Cut(f, "@")
			fig, err := LoadFigure(file)
			if err != nil {
				return nil, fmt.Errorf("--figure %s: %w", src, err)
			}
			if traj != "" {
				if fig.Trajectory, err = LoadTrajectory(traj); err != nil {
					return nil, fmt.Errorf("--figure %s: %w", src, err)
				}
			}
			group = append(group, len(d.Figures))
			d.Figures = append(d.Figures, fig)
		}
		html := page[last:m[0]]
		if len(group) == 0 {
			d.Blocks = append(d.Blocks, ReportBlock{HTML: html})
		} else {
			d.Blocks = append(d.Blocks, ReportBlock{HTML: html, Figures: group})
		}
		last = m[1]
	}
	d.Blocks = append(d.Blocks, ReportBlock{HTML: page[last:]})
	for src := range figures {
		if !used[src] {
			return nil, fmt.Errorf("--figure %s: the report %s has no image with that src", src, mdPath)
		}
	}
	if trajectory != "" {
		if d.Path, err = LoadTrajectory(trajectory); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func allMapped(imgs [][]string, figures map[string][]string) bool {
	for _, m := range imgs {
		if _, ok := figures[m[1]]; !ok {
			return false
		}
	}
	return len(imgs) > 0
}

// ParseFigure reads a --figure value "IMAGE=FILE.npz[,FILE2.npz...]" (no files: drop the
// image); FILE.npz@PATH.npz also draws the trajectory PATH.npz on that surface.
func ParseFigure(s string) (img string, files []string, err error) {
	img, list, ok := strings.Cut(s, "=")
	if !ok || img == "" {
		return "", nil, fmt.Errorf("--figure %q: want IMAGE=FILE.npz[,FILE2.npz...]", s)
	}
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f != "" {
			files = append(files, f)
		}
	}
	return img, files, nil
}
