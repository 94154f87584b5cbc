package surface

import (
	"math"
	"testing"
)

func TestEigenRatio(t *testing.T) {
	for _, c := range []struct{ max, min, want float64 }{
		{4, -1, 0.25}, {2, 0.5, 0.25}, {0, -1, math.NaN()}, {math.NaN(), 1, math.NaN()}, {1, math.Inf(-1), math.NaN()},
	} {
		got := EigenRatio(c.max, c.min)
		if got != c.want && !(math.IsNaN(got) && math.IsNaN(c.want)) {
			t.Errorf("EigenRatio(%g, %g) = %g, want %g", c.max, c.min, got, c.want)
		}
	}
}
