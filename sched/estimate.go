package sched

import "math"

// Tally is what is known of one point after some of the images: n images used, the sums of
// their losses and squared losses, and how many were classified right.
type Tally struct {
	N       int
	Loss    float64 // Σ ℓ_i
	LossSq  float64 // Σ ℓ_i²
	Correct int64
}

// Mean is the sample mean loss ℓ̄ = Σℓ_i / n.
func (t Tally) Mean() float64 { return t.Loss / float64(t.N) }

// StdErr is the standard error of the mean loss of n images drawn without replacement from a
// population of pop: sqrt((1 − n/pop) · s²/n), with s² = (Σℓ² − n·ℓ̄²)/(n − 1) the unbiased
// sample variance (Cochran 1977, eq. 2.19). It is 0 when every image is used (the mean is
// exact), +Inf with fewer than two images.
func (t Tally) StdErr(pop int) float64 {
	n := float64(t.N)
	if t.N >= pop {
		return 0
	}
	if t.N < 2 {
		return math.Inf(1)
	}
	m := t.Mean()
	s2 := max(0, (t.LossSq-n*m*m)/(n-1))
	return math.Sqrt((1 - n/float64(pop)) * s2 / n)
}

// MinSample is the fewest images a tolerance estimate stops at (unless the data have fewer):
// below it the sample variance of heavy-tailed per-image losses (most near 0, a few large) is
// itself too uncertain for the stopping rule to be trusted.
const MinSample = 512

// Enough reports whether a point may stop: every image of pop used, or at least MinSample
// and a standard error of at most tol times the mean loss.
func (t Tally) Enough(tol float64, pop int) bool {
	if t.N >= pop {
		return true
	}
	return t.N >= MinSample && t.StdErr(pop) <= tol*math.Abs(t.Mean())
}

// add adds an engine's sums over n images.
func (t *Tally) add(n int, loss, sq float64, correct int64) {
	t.N += n
	t.Loss += loss
	t.LossSq += sq
	t.Correct += correct
}

// Result is a finished point: its mean loss, accuracy in percent, and, for a tolerance scan,
// the standard error of the loss and the images used (for an exact scan, 0 and every image).
type Result struct {
	Loss, Acc float64
	StdErr    float64
	Images    int
}

func (t Tally) result(pop int) Result {
	return Result{Loss: t.Mean(), Acc: 100 * float64(t.Correct) / float64(t.N), StdErr: t.StdErr(pop), Images: t.N}
}
