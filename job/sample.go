package job

import (
	"fmt"
	"math/rand/v2"

	"landscape/data"
	"landscape/sched"
	"landscape/surface"
)

// DefaultSampleBatch is the images per batch of a --tolerance scan without --batch-size: a
// point's stopping rule is checked after each batch.
const DefaultSampleBatch = 256

// Orders are the values of --order: coarse (coarse to fine, the default) or rows.
var Orders = []string{"coarse", "rows"}

// permutation returns the order in which a --tolerance scan with seed visits n images: a
// Fisher–Yates shuffle driven by PCG(seed, 0x5eed) outputs (j = u mod (i+1), whose bias of at
// most n/2⁶⁴ is immaterial), written out here so that it stays the same across Go versions.
func permutation(n int, seed int64) []int {
	r := rand.NewPCG(uint64(seed), 0x5eed)
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := int(r.Uint64() % uint64(i+1))
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// shuffled returns a copy of set with its examples in the order perm.
func shuffled(set *data.Set, perm []int) *data.Set {
	out := *set
	d := set.C * set.H * set.W
	out.Images = make([]float32, len(set.Images))
	out.Labels = make([]int32, len(set.Labels))
	for i, src := range perm {
		copy(out.Images[i*d:(i+1)*d], set.Image(src))
		out.Labels[i] = set.Labels[src]
	}
	out.Name = fmt.Sprintf("%s (shuffled)", set.Name)
	return &out
}

// todo returns the points of sf still to compute that Select keeps, in the scan's order.
func (s *ScanSpec) todo(sf *surface.Surface) []int {
	order := sf.Missing()
	if s.Order != "rows" {
		order = sf.CoarseToFine()
	}
	var out []int
	for _, k := range order {
		if !sf.Computed[k] && (s.Select == nil || s.Select(k)) {
			out = append(out, k)
		}
	}
	return out
}

// record stores a finished point in sf: its loss and accuracy, and for a tolerance scan its
// standard error and images used.
func record(sf *surface.Surface, k int, r sched.Result, sampled bool) {
	sf.Set(k, r.Loss, r.Acc)
	if sampled {
		sf.ExtraArray(surface.StdErrKey(sf.Split))[k] = r.StdErr
		sf.ExtraArray(surface.ImagesKey(sf.Split))[k] = float64(r.Images)
	}
}
