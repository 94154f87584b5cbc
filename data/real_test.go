package data

import (
	"testing"

	"landscape/internal/testenv"
)

// TestRealFashionMNIST loads the installed Debian dataset-fashion-mnist files.
func TestRealFashionMNIST(t *testing.T) {
	realFashion := testenv.FashionDir(t)
	for _, c := range []struct {
		split string
		n     int
	}{{"test", 10000}, {"train", 60000}} {
		s := mustLoad(t, "fashion-mnist:"+realFashion, Options{Split: c.split})
		if s.N != c.n || s.C != 1 || s.H != 28 || s.W != 28 || len(s.Images) != c.n*784 {
			t.Fatalf("%s: %d×%d×%d×%d, want %d×1×28×28", c.split, s.N, s.C, s.H, s.W, c.n)
		}
		var hist [10]int
		for _, l := range s.Labels {
			hist[l]++ // panics if out of range
		}
		sum := 0
		for k, h := range hist {
			sum += h
			if h != c.n/10 { // Fashion-MNIST is balanced
				t.Errorf("%s: class %d has %d examples, want %d", c.split, k, h, c.n/10)
			}
		}
		if sum != c.n {
			t.Errorf("%s: histogram sums to %d", c.split, sum)
		}
		var m float64
		for _, p := range s.Images {
			m += float64(p)
		}
		if m /= float64(len(s.Images)); m > 0.05 || m < -0.05 {
			t.Errorf("%s: normalised pixel mean %v, want near 0", c.split, m)
		}
		t.Logf("%s: %s N=%d mean %.4f first label %d", c.split, s.Name, s.N, m, s.Labels[0])
	}
}

func BenchmarkLoadFashionTrain(b *testing.B) {
	realFashion := testenv.FashionDir(b)
	for b.Loop() {
		if _, err := Load("fashion-mnist:"+realFashion, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
