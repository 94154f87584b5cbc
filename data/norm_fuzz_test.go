package data

import (
	"math"
	"slices"
	"testing"

	"landscape/internal/fuzzseed"
)

func normalizeSeeds() []fuzzseed.Seed {
	return []fuzzseed.Seed{
		fuzzseed.New("imagenet", "imagenet"),
		fuzzseed.New("one", "0.5:0.25"),
		fuzzseed.New("per-channel", "0.4914, 0.4822,0.4465:0.247,0.243,0.261"),
		fuzzseed.New("zero-std", "0.5:0"),
		fuzzseed.New("nan", "nan:1"),
		fuzzseed.New("counts", "0.5,0.5:1"),
		fuzzseed.New("no-colon", "0.5"),
		fuzzseed.New("tiny-std", "0:1e-45"),
		fuzzseed.New("empty", ""),
	}
}

func TestNormalizeSeeds(t *testing.T) { fuzzseed.Sync(t, "FuzzNormalize", normalizeSeeds()) }

// FuzzNormalize: any string given to --normalize. Property: no panic; an error, or one or
// more means and as many standard deviations, each std > 0, that map the pixel range [0, 1]
// to finite float32 values (the precision the images are normalised in: no Inf or NaN
// pixels from a std that underflows or a mean that overflows), and whose String parses back
// to the same statistics.
func FuzzNormalize(f *testing.F) {
	fuzzseed.Add(f, normalizeSeeds())
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseStats(s)
		if err != nil {
			return
		}
		if len(st.Mean) == 0 || len(st.Mean) != len(st.Std) {
			t.Fatalf("%q: %d means, %d stds", s, len(st.Mean), len(st.Std))
		}
		tab, err := tables(st, len(st.Mean))
		if err != nil {
			t.Fatal(err)
		}
		for ch := range tab {
			if st.Std[ch] <= 0 || slices.ContainsFunc(tab[ch][:], func(v float32) bool { return math.IsInf(float64(v), 0) || v != v }) {
				t.Fatalf("%q: channel %d (mean %g, std %g) maps pixels to %v … %v", s, ch, st.Mean[ch], st.Std[ch], tab[ch][0], tab[ch][255])
			}
		}
		back, err := ParseStats(st.String())
		if err != nil || !slices.Equal(back.Mean, st.Mean) || !slices.Equal(back.Std, st.Std) {
			t.Fatalf("%q: String %q parses to %v, %v", s, st.String(), back, err)
		}
	})
}
