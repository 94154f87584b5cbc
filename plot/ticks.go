package plot

import (
	"math"
	"strconv"

	gplot "gonum.org/v1/plot"
)

// niceTicks is a gplot.Ticker with about N labelled ticks at steps of 1, 2
// or 5 times a power of ten, and unlabelled minor ticks between them
// (gonum's DefaultTicks labels only about three).
type niceTicks struct{ N int }

// Ticks implements gplot.Ticker.
func (t niceTicks) Ticks(lo, hi float64) []gplot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return []gplot.Tick{{Value: lo, Label: label(lo, 0)}}
	}
	n := max(t.N, 2)
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	minor := step / 5
	if step/mag == 2 {
		minor = step / 4
	}
	eps := 1e-9 * step
	var ts []gplot.Tick
	for k := math.Ceil((lo - eps) / minor); k*minor <= hi+eps; k++ {
		v := k * minor
		if r := math.Round(v / step); math.Abs(v-r*step) < eps {
			ts = append(ts, gplot.Tick{Value: r * step, Label: label(r*step, step)})
		} else {
			ts = append(ts, gplot.Tick{Value: v})
		}
	}
	return ts
}

// label formats a tick value with as many decimals as step needs.
func label(v, step float64) string {
	if v == 0 || math.Abs(v) < 1e-12*math.Abs(step) {
		return "0"
	}
	prec := 0
	if step > 0 && step < 1 {
		prec = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	if math.Abs(v) >= 1e6 || math.Abs(v) < 1e-4 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

// majorTicks returns the labelled ticks of niceTicks{n} in [lo, hi].
func majorTicks(lo, hi float64, n int) []gplot.Tick {
	var out []gplot.Tick
	for _, t := range (niceTicks{n}).Ticks(lo, hi) {
		if t.Label != "" {
			out = append(out, t)
		}
	}
	return out
}
