package surface

import (
	"archive/zip"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"landscape/internal/fuzzseed"
	"landscape/internal/npzfile"
)

func surfaceSeeds(t testing.TB) []fuzzseed.Seed {
	enc := func(s *Surface) []byte {
		b, err := s.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	two, one := enc(testSurface(3, 4)), enc(testSurface(5, 0))
	p := filepath.Join(t.TempDir(), "f1.npz")
	if err := testSurface(4, 2).SaveFormat1(p); err != nil {
		t.Fatal(err)
	}
	f1, _ := os.ReadFile(p)
	f32 := func(v ...float32) []byte {
		var b []byte
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
		return b
	}
	foreign := npzfile.Zip(zip.Store, // numpy.savez of the paper's code: float32, Fortran order
		npzfile.Member{Name: "xcoordinates.npy", Data: npzfile.NPY("<f4", false, []int{2}, f32(-1, 1))},
		npzfile.Member{Name: "ycoordinates.npy", Data: npzfile.NPY("<f4", false, []int{3}, f32(0, 1, 2))},
		npzfile.Member{Name: "train_loss.npy", Data: npzfile.NPY("<f4", true, []int{3, 2}, f32(1, 2, 3, 4, 5, 6))},
		npzfile.Member{Name: "train_acc.npy", Data: npzfile.NPY("<f4", true, []int{3, 2}, f32(9, 8, 7, 6, 5, 4))})
	flipped := append([]byte(nil), two...)
	flipped[len(flipped)/3] ^= 1
	return []fuzzseed.Seed{
		fuzzseed.New("format2-2d", two),
		fuzzseed.New("format2-1d", one),
		fuzzseed.New("format1", f1),
		fuzzseed.New("foreign-float32-fortran", foreign),
		fuzzseed.New("flipped", flipped),
		fuzzseed.New("cut", two[:len(two)/2]),
	}
}

func TestSurfaceSeeds(t *testing.T) { fuzzseed.Sync(t, "FuzzSurfaceLoad", surfaceSeeds(t)) }

// FuzzSurfaceLoad: any bytes as a surface file (surface.Load: formats 1 and 2, files numpy
// rewrote, foreign files). Property: no panic; a damaged or inconsistent file is an error;
// a loaded surface is consistent (one loss, accuracy and computed flag per grid point) and
// round-trips: encoded (format 2) and loaded again it is the same surface.
func FuzzSurfaceLoad(f *testing.F) {
	fuzzseed.Add(f, surfaceSeeds(f))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "s.npz")
		os.WriteFile(path, b, 0o644)
		s, err := Load(path)
		if err != nil {
			return
		}
		if len(s.Loss) != s.Len() || len(s.Acc) != s.Len() || len(s.Computed) != s.Len() || s.Len() == 0 {
			t.Fatalf("%d×%d grid with %d losses, %d accuracies, %d flags", len(s.X), len(s.Y), len(s.Loss), len(s.Acc), len(s.Computed))
		}
		enc, err := s.Encode()
		if err != nil {
			return // e.g. an extra array named like a key the surface writes itself
		}
		os.WriteFile(path, enc, 0o644)
		r, err := Load(path)
		if err != nil {
			t.Fatalf("re-encoded surface: %v", err)
		}
		checkEqual(t, "round trip", r, s)
		want := s.Settings
		want.Format = Format
		if r.Settings != want || r.Split != s.Split {
			t.Fatalf("settings %+v split %s, then %+v split %s", want, s.Split, r.Settings, r.Split)
		}
	})
}

func settingsSeeds(t testing.TB) []fuzzseed.Seed {
	js, err := json.Marshal(testSurface(2, 2).Settings)
	if err != nil {
		t.Fatal(err)
	}
	return []fuzzseed.Seed{
		fuzzseed.New("format2", string(js)),
		fuzzseed.New("format1", `{"model":"resnet20","weights_sha256":"ab","x":"-1:1:3","split":"test"}`),
		fuzzseed.New("format3", `{"model":"m","format":3}`),
		fuzzseed.New("foreign", `{"lr":0.1}`),
		fuzzseed.New("wrong-type", `{"model":5}`),
		fuzzseed.New("not-json", `{"model":`),
	}
}

func TestSettingsSeeds(t *testing.T) { fuzzseed.Sync(t, "FuzzSettings", settingsSeeds(t)) }

// FuzzSettings: any string as the settings JSON of a surface file. Property: no panic; a
// clear error, or format 0 (not landscape's settings), or settings of format 1 or 2 that
// round-trip: marshalled and decoded again they are equal.
func FuzzSettings(f *testing.F) {
	fuzzseed.Add(f, settingsSeeds(f))
	f.Fuzz(func(t *testing.T, js string) {
		var st Settings
		format, err := decodeSettings("s.npz", js, &st)
		if err != nil || format == 0 {
			return
		}
		if format != 1 && format != Format || st.Format != format {
			t.Fatalf("format %d, settings say %d", format, st.Format)
		}
		b, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		var again Settings
		if f2, err := decodeSettings("s.npz", string(b), &again); err != nil || f2 != format || !reflect.DeepEqual(again, st) {
			t.Fatalf("round trip: %+v (%d, %v), want %+v", again, f2, err, st)
		}
	})
}

func axisSeeds() []fuzzseed.Seed {
	var out []fuzzseed.Seed
	for i, s := range []string{"-1:1:51", "0:0:1", "1:0:3", "nan:1:2", "-1e308:1e308:3", "0:1:99999999999", "a:b:c", "::", "0:5e-324:3", "-inf:0:1"} {
		out = append(out, fuzzseed.New(string(rune('a'+i)), s))
	}
	return out
}

func TestAxisSeeds(t *testing.T) { fuzzseed.Sync(t, "FuzzAxis", axisSeeds()) }

// FuzzAxis: any string given to --x or --y. Property: no panic; an error, or an axis of at
// most MaxAxisPoints finite, non-decreasing coordinates from MIN to MAX whose String parses
// back to the same axis.
func FuzzAxis(f *testing.F) {
	fuzzseed.Add(f, axisSeeds())
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAxis("--x", s)
		if err != nil {
			return
		}
		if b, err := ParseAxis("--x", a.String()); err != nil || b != a {
			t.Fatalf("%q → %v → %q → %v, %v", s, a, a.String(), b, err)
		}
		c := a.Coords()
		if len(c) != a.Num || a.Num > MaxAxisPoints || c[0] != a.Min || c[len(c)-1] != a.Max && a.Num > 1 {
			t.Fatalf("%v: coordinates %v", a, c)
		}
		for i, x := range c {
			if math.IsInf(x, 0) || math.IsNaN(x) || i > 0 && x < c[i-1] {
				t.Fatalf("%v: coordinate %d = %v (%v)", a, i, x, c)
			}
		}
	})
}
