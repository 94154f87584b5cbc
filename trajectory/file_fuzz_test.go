package trajectory

import (
	"archive/zip"
	"bytes"
	"math"
	"testing"

	"landscape/internal/fuzzseed"
	"landscape/internal/npzfile"
)

func pathSeeds(t testing.TB) []fuzzseed.Seed {
	good, err := (&Path{ProjX: []float64{0, 1, 2}, ProjY: []float64{0, -1, math.NaN()}, ExplainedVarianceRatio: []float64{0.7, 0.2}, ExplainedVariance: []float64{7, 2}}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	vec := func(k string, v ...float32) npzfile.Member {
		return npzfile.Member{Name: k + ".npy", Data: npzfile.NPY("<f4", false, []int{len(v)}, f4s(v...))}
	}
	f32 := npzfile.Zip(zip.Deflate, vec("proj_xcoord", 0.5, 1), vec("proj_ycoord", -2, 3),
		vec("explained_variance_ratio", 0.75, 0.25), vec("explained_variance", 3, 1))
	flipped := bytes.Clone(good)
	flipped[len(flipped)/4] ^= 0x20
	return []fuzzseed.Seed{
		fuzzseed.New("landscape", good),
		fuzzseed.New("numpy-float32", f32),
		fuzzseed.New("unequal", npzfile.Zip(zip.Store, vec("proj_xcoord", 1), vec("proj_ycoord", 1, 2),
			vec("explained_variance_ratio", 1), vec("explained_variance", 1))),
		fuzzseed.New("flipped", flipped),
	}
}

func TestPathSeeds(t *testing.T) { fuzzseed.Sync(t, "FuzzPath", pathSeeds(t)) }

// FuzzPath: any bytes as a trajectory's PATH.npz (read by plot and view). Property: no panic;
// a damaged member or a file of other arrays is an error; a path read has as many y as x
// coordinates and round-trips: encoded and read again it is the same, bit for bit.
func FuzzPath(f *testing.F) {
	fuzzseed.Add(f, pathSeeds(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		read := func(b []byte) (*Path, error) {
			z, err := npzfile.NewReader("p.npz", bytes.NewReader(b), int64(len(b)))
			if err != nil {
				return nil, err
			}
			return readPath("p.npz", z)
		}
		p, err := read(b)
		if err != nil {
			return
		}
		if len(p.ProjX) != len(p.ProjY) || len(p.ProjX) == 0 {
			t.Fatalf("%d x and %d y", len(p.ProjX), len(p.ProjY))
		}
		enc, err := p.Encode()
		if err != nil {
			t.Fatal(err)
		}
		q, err := read(enc)
		if err != nil {
			t.Fatalf("encoded again: %v", err)
		}
		for i, pair := range [][2][]float64{{p.ProjX, q.ProjX}, {p.ProjY, q.ProjY}, {p.ExplainedVarianceRatio, q.ExplainedVarianceRatio}, {p.ExplainedVariance, q.ExplainedVariance}} {
			if len(pair[0]) != len(pair[1]) {
				t.Fatalf("array %d: %d then %d values", i, len(pair[0]), len(pair[1]))
			}
			for j := range pair[0] {
				if math.Float64bits(pair[0][j]) != math.Float64bits(pair[1][j]) {
					t.Fatalf("array %d [%d]: %v then %v", i, j, pair[0][j], pair[1][j])
				}
			}
		}
	})
}
