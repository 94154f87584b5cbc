// Package surface holds a scan's grid and results and stores them as the .npz file of the
// paper's code (xcoordinates, ycoordinates, <split>_loss, <split>_acc), replaced atomically as
// points complete, with the scan's settings so that a re-run resumes only a matching scan.
package surface

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Axis is a linspace(Min, Max, Num) coordinate axis.
type Axis struct {
	Min, Max float64
	Num      int
}

// MaxAxisPoints bounds NUM: an axis's coordinates are allocated from it.
const MaxAxisPoints = 1 << 20

// ParseAxis reads "MIN:MAX:NUM" given to flag: finite MIN < MAX (MAX − MIN finite too), and
// 1 ≤ NUM ≤ MaxAxisPoints.
func ParseAxis(flag, s string) (Axis, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return Axis{}, fmt.Errorf("%s %q: want MIN:MAX:NUM, e.g. -1:1:51", flag, s)
	}
	lo, err1 := strconv.ParseFloat(parts[0], 64)
	hi, err2 := strconv.ParseFloat(parts[1], 64)
	n, err3 := strconv.Atoi(parts[2])
	switch {
	case err1 != nil || err2 != nil || math.IsInf(hi-lo, 0) || math.IsNaN(hi-lo):
		return Axis{}, fmt.Errorf("%s %q: MIN and MAX must be finite numbers", flag, s)
	case err3 != nil || n < 1 || n > MaxAxisPoints:
		return Axis{}, fmt.Errorf("%s %q: NUM must be a positive integer up to %d", flag, s, MaxAxisPoints)
	case n > 1 && !(hi > lo):
		return Axis{}, fmt.Errorf("%s %q: MAX must be greater than MIN", flag, s)
	}
	return Axis{Min: lo, Max: hi, Num: n}, nil
}

// String formats the axis as ParseAxis reads it.
func (a Axis) String() string {
	return strconv.FormatFloat(a.Min, 'g', -1, 64) + ":" + strconv.FormatFloat(a.Max, 'g', -1, 64) + ":" + strconv.Itoa(a.Num)
}

// Coords returns the coordinates as numpy.linspace computes them: Min + i·step, the last one
// exactly Max.
func (a Axis) Coords() []float64 {
	c := make([]float64, a.Num)
	if a.Num == 1 {
		c[0] = a.Min
		return c
	}
	step := (a.Max - a.Min) / float64(a.Num-1)
	for i := range c {
		c[i] = a.Min + float64(i)*step
	}
	c[a.Num-1] = a.Max
	return c
}
