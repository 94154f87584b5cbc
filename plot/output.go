package plot

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// dpi is the resolution of PNG figures.
const dpi = 150

// writeAtomic writes path through a temporary file in the same directory
// renamed into place, so readers never see a partial file.
func writeAtomic(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("plot: cannot write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriter(f)
	if err = write(bw); err != nil {
		return fmt.Errorf("plot: writing %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("plot: writing %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("plot: writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("plot: writing %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("plot: cannot write %s: %w", path, err)
	}
	return nil
}

// figure draws a picture onto a canvas.
type figure func(c draw.Canvas) error

// render draws fig once per extension ("png" or "svg") into base+"."+ext,
// w×h in size, and returns the paths written. A panic in the drawing code
// becomes an error.
func render(base string, w, h vg.Length, fig figure, exts ...string) ([]string, error) {
	var paths []string
	for _, ext := range exts {
		path := base + "." + ext
		var cw vg.CanvasWriterTo
		switch ext {
		case "png":
			cw = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi))}
		case "svg":
			cw = vgsvg.New(w, h)
		default:
			return paths, fmt.Errorf("plot: unknown figure format %q", ext)
		}
		if err := safeDraw(fig, draw.New(cw)); err != nil {
			return paths, fmt.Errorf("plot: drawing %s: %w", path, err)
		}
		err := writeAtomic(path, func(w io.Writer) error {
			var buf bytes.Buffer
			if _, err := cw.WriteTo(&buf); err != nil {
				return err
			}
			b := buf.Bytes()
			if ext == "svg" {
				// vgsvg labels its embedded PNGs image/jpg, which
				// strict renderers (librsvg) then refuse to show.
				b = bytes.ReplaceAll(b, []byte("data:image/jpg;base64,"), []byte("data:image/png;base64,"))
			}
			_, err := w.Write(b)
			return err
		})
		if err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// safeDraw fills the canvas white and runs fig, recovering from panics
// (gonum/plot panics on some degenerate input).
func safeDraw(fig figure, c draw.Canvas) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	c.SetColor(white)
	c.Fill(c.Rectangle.Path())
	return fig(c)
}
