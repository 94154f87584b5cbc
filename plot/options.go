package plot

import (
	"fmt"
	"math"
	"path/filepath"
)

// Options controls the figures. The zero value gives the paper's defaults.
type Options struct {
	// VMin, VMax and VLevel are the contour range and spacing, as in
	// plot_2D.py: levels VMin, VMin+VLevel, ... below VMax. Defaults 0.1,
	// 10 and 0.5: zero VMin and VMax mean 0.1 and 10, zero VMax alone 10,
	// an empty range 0.1..10, and VLevel <= 0 means 0.5. They also set
	// the colour range of the heat map and the z clip of the 3D surface.
	VMin, VMax, VLevel float64
	// Log log-scales the loss: 1D, a log y axis; 2D, the figures show
	// log10(loss) with as many levels as the linear case, evenly spaced
	// from log10(VMin) to log10(VMax), labelled with the loss value. The
	// .vtp file then holds ln(loss+0.1) as z, as h52vtp.py does.
	Log bool
	// XMin and XMax bound the 1D x axis; NaN, or both 0, means the full range.
	XMin, XMax float64
	// LossMax is the top of the 1D loss axis (default 5, as plot_1D.py).
	LossMax float64
	// AccMin is the bottom of the 1D accuracy axis (default 0; top 100).
	AccMin float64
	// Title replaces the default title (the file's base name and split).
	Title string
}

// maxLevels bounds the number of contour levels.
const maxLevels = 200

// logFloor is the smallest loss taken before a log.
const logFloor = 1e-12

// withDefaults fills in the defaults described on Options.
func (o Options) withDefaults() Options {
	switch {
	case o.VMin == 0 && o.VMax == 0:
		o.VMin, o.VMax = 0.1, 10
	case o.VMax == 0:
		o.VMax = 10
	}
	if !(o.VMax > o.VMin) || math.IsInf(o.VMax, 0) || math.IsInf(o.VMin, 0) {
		o.VMin, o.VMax = 0.1, 10
	}
	if !(o.VLevel > 0) || math.IsInf(o.VLevel, 0) {
		o.VLevel = 0.5
	}
	if o.Log && o.VMin <= 0 {
		o.VMin = o.VMax / 1000
	}
	if !(o.LossMax > 0) || math.IsInf(o.LossMax, 0) {
		o.LossMax = 5
	}
	if math.IsNaN(o.AccMin) || o.AccMin >= 100 {
		o.AccMin = 0
	}
	return o
}

// z maps a loss to the plotted value: the loss, or log10(loss) with Log.
func (o Options) z(loss float64) float64 {
	if !o.Log {
		return loss
	}
	return math.Log10(math.Max(loss, logFloor))
}

// zRange is the plotted-value range for VMin..VMax.
func (o Options) zRange() (lo, hi float64) {
	return o.z(o.VMin), o.z(o.VMax)
}

// levels returns the contour levels in plotted units: numpy's
// arange(VMin, VMax, VLevel), or as many levels log-spaced with Log.
func (o Options) levels() []float64 {
	n := int(math.Ceil((o.VMax - o.VMin) / o.VLevel))
	n = max(1, min(n, maxLevels))
	lo, hi := o.zRange()
	step := (hi - lo) / float64(n)
	if !o.Log {
		step = o.VLevel
	}
	ls := make([]float64, 0, n)
	for k := range n {
		if v := lo + float64(k)*step; v < hi {
			ls = append(ls, v)
		}
	}
	return ls
}

// levelLabel formats a level (in plotted units) as a loss value.
func (o Options) levelLabel(z float64) string {
	if o.Log {
		z = math.Pow(10, z)
	}
	return fmt.Sprintf("%.3g", z)
}

// zLabel names the plotted quantity of split.
func (o Options) zLabel(split string) string {
	name := "loss"
	if split != "" {
		name = split + " loss"
	}
	if o.Log {
		return "log10(" + name + ")"
	}
	return name
}

// title is the figure title for s: Options.Title or "<file>: <split> loss".
func (o Options) title(s *Surface) string {
	if o.Title != "" {
		return o.Title
	}
	return filepath.Base(s.Path) + ": " + o.zLabel(s.Split)
}

// maskNote says at how many points (indices) one of the parallel slices
// vs is not finite, e.g. "(3 NaN, 1 Inf points masked)", or "" if none; a
// point with both a NaN and an Inf counts as NaN.
func maskNote(vs ...[]float64) string {
	n := 0
	for _, v := range vs {
		n = max(n, len(v))
	}
	nan, inf := 0, 0
	for i := range n {
		isNaN, isInf := false, false
		for _, v := range vs {
			if i < len(v) {
				isNaN = isNaN || math.IsNaN(v[i])
				isInf = isInf || math.IsInf(v[i], 0)
			}
		}
		switch {
		case isNaN:
			nan++
		case isInf:
			inf++
		}
	}
	switch {
	case nan > 0 && inf > 0:
		return fmt.Sprintf("(%d NaN, %d Inf points masked)", nan, inf)
	case nan > 0:
		return fmt.Sprintf("(%d NaN points masked: not computed or diverged)", nan)
	case inf > 0:
		return fmt.Sprintf("(%d Inf points masked: diverged)", inf)
	}
	return ""
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
