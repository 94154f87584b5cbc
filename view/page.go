package view

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math"
	"strings"
	"text/template"

	"landscape/model"
)

// The page's pieces, embedded in every page written: plotly.js (vendored by
// scripts/vendor-plotly.sh; licence in assets/plotly.LICENSE), our script and style.
var (
	//go:embed assets/plotly.min.js
	plotlyJS string
	//go:embed assets/plotly.LICENSE
	plotlyLicense string
	//go:embed assets/view.js
	viewJS string
	//go:embed assets/view.css
	viewCSS string
	//go:embed assets/page.html
	pageHTML string
)

var pageTmpl = template.Must(template.New("page").Parse(pageHTML))

// Options are the page's initial controls; the reader changes them in the page.
type Options struct {
	Log        bool    `json:"log"`
	VMin, VMax float64 `json:"-"` // clip range of the loss; NaN: the data's range
	Title      string  `json:"title"`
}

// DefaultOptions: linear scale, the data's range.
func DefaultOptions() Options { return Options{VMin: math.NaN(), VMax: math.NaN()} }

// Doc is everything a page shows.
type Doc struct {
	Options Options       `json:"options"`
	VMin    num           `json:"vmin"`
	VMax    num           `json:"vmax"`
	Figures []*Figure     `json:"figures"`
	Path    *Trajectory   `json:"path,omitempty"`
	Live    bool          `json:"live"`
	Blocks  []ReportBlock `json:"-"` // a report's text and figure groups; nil: one group of all figures
}

// ReportBlock is a piece of a report page: HTML (already safe) followed by the figures of Doc
// whose indices are listed (a group drawn side by side). Pages without blocks draw all figures
// in one group.
type ReportBlock struct {
	HTML    string
	Figures []int
}

// Load reads the surface files (and a trajectory file, if path is not "") into a Doc.
func Load(files []string, path string, opt Options) (*Doc, error) {
	d := &Doc{Options: opt}
	for _, f := range files {
		fig, err := LoadFigure(f)
		if err != nil {
			return nil, err
		}
		d.Figures = append(d.Figures, fig)
	}
	if path != "" {
		t, err := LoadTrajectory(path)
		if err != nil {
			return nil, err
		}
		d.Path = t
	}
	return d, nil
}

// dataJSON is the Doc as the page's script reads it. json.Marshal escapes <, > and & so that
// it can sit inside a <script> element.
func (d *Doc) dataJSON() ([]byte, error) {
	d.VMin, d.VMax = num(d.Options.VMin), num(d.Options.VMax)
	return json.Marshal(d)
}

// WritePage writes the self-contained HTML page.
func WritePage(w io.Writer, d *Doc) error {
	js, err := d.dataJSON()
	if err != nil {
		return err
	}
	title := d.Options.Title
	if title == "" {
		var names []string
		for _, f := range d.Figures {
			names = append(names, f.Name)
		}
		title = "loss landscape: " + strings.Join(names, ", ")
	}
	blocks := d.Blocks
	if len(blocks) == 0 {
		all := make([]int, len(d.Figures))
		for i := range all {
			all[i] = i
		}
		blocks = []ReportBlock{{Figures: all}}
	}
	return pageTmpl.Execute(w, map[string]any{
		"Title":   html.EscapeString(title),
		"CSS":     viewCSS,
		"Plotly":  plotlyJS,
		"License": strings.ReplaceAll(plotlyLicense, "*/", "* /"),
		"Data":    string(js),
		"Blocks":  blocks,
		"App":     viewJS,
	})
}

// WriteFile writes the page to path, replacing it atomically.
func WriteFile(path string, d *Doc) error {
	var b bytes.Buffer
	if err := WritePage(&b, d); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return model.WriteFileAtomic(path, b.Bytes())
}

// Check validates options: a clip range that is empty, or not positive on a log scale, is an error.
func (o Options) Check() error {
	if !math.IsNaN(o.VMin) && !math.IsNaN(o.VMax) && !(o.VMin < o.VMax) {
		return fmt.Errorf("--vmin %g, --vmax %g: want vmin < vmax", o.VMin, o.VMax)
	}
	if o.Log && !math.IsNaN(o.VMin) && o.VMin <= 0 {
		return fmt.Errorf("--log needs a positive --vmin, got %g", o.VMin)
	}
	return nil
}
