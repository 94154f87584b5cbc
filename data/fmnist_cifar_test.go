package data

import (
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"landscape/internal/testenv"
)

// torchioCIFAR writes the normalised test images tools/torchio.py's load_data reads from a CIFAR
// directory, as raw little-endian float32.
const torchioCIFAR = `
import sys
sys.path.insert(0, sys.argv[1])
from torchio import load_data
x, y = load_data("cifar10:" + sys.argv[2], "test", 0)
x.numpy().astype("<f4").tofile(sys.argv[3])
`

// TestFashionAsCIFAR runs tools/fmnist_as_cifar.py on small IDX files and checks that the CIFAR
// files it writes load as cifar10 with the IDX labels and each 28×28 image zero-padded by 2 to
// 32×32 in all 3 channels (raw pixels), and that landscape's normalised cifar10 pixels are bit for
// bit those of tools/torchio.py's load_data, which the PyTorch side of scripts/bf16-error.sh uses.
func TestFashionAsCIFAR(t *testing.T) {
	py := testenv.Python(t, "numpy", "torch")
	idxDir, out := t.TempDir(), t.TempDir()
	sizes := map[string]int{"train": 10, "test": 3} // the tool splits train into 5 files
	imgs, labels := map[string][]uint8{}, map[string][]uint8{}
	for split, n := range sizes {
		imgs[split], labels[split] = pattern(n*28*28, 7+len(split)), pattern(n, 3)
		for i := range labels[split] {
			labels[split][i] %= 10
		}
		if err := WriteIDX(idxDir, split, imgs[split], labels[split], n, 28, 28, true); err != nil {
			t.Fatal(err)
		}
	}
	tools, err := filepath.Abs("../tools")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command(py, filepath.Join(tools, "fmnist_as_cifar.py"), idxDir, out).CombinedOutput(); err != nil {
		t.Fatalf("fmnist_as_cifar.py: %v\n%s", err, b)
	}
	for split, n := range sizes {
		s := mustLoad(t, "cifar10:"+out, Options{Split: split, Raw: true})
		if s.N != n || s.C != 3 || s.H != 32 || s.W != 32 {
			t.Fatalf("%s: %d×%d×%d×%d, want %d×3×32×32", split, s.N, s.C, s.H, s.W, n)
		}
		for i := range n {
			if s.Labels[i] != int32(labels[split][i]) {
				t.Errorf("%s label %d = %d, want %d", split, i, s.Labels[i], labels[split][i])
			}
			checkPadded(t, split, i, s.Image(i), imgs[split][i*784:(i+1)*784])
		}
	}
	f32 := filepath.Join(t.TempDir(), "x.f32")
	runPython(t, torchioCIFAR, tools, out, f32)
	b, err := os.ReadFile(f32)
	if err != nil {
		t.Fatal(err)
	}
	s := mustLoad(t, "cifar10:"+out, Options{Split: "test"})
	if len(b) != 4*len(s.Images) {
		t.Fatalf("torchio gave %d floats, landscape %d", len(b)/4, len(s.Images))
	}
	for i, v := range s.Images {
		if w := math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])); v != w {
			t.Fatalf("normalised pixel %d: landscape %v, torchio %v", i, v, w)
		}
	}
}

// checkPadded checks that img (3×32×32, raw) is gray (28×28 bytes) padded by 2 zeros on every
// side, in every channel.
func checkPadded(t *testing.T, split string, n int, img []float32, gray []uint8) {
	t.Helper()
	for c := range 3 {
		for y := range 32 {
			for x := range 32 {
				w := float32(0)
				if y >= 2 && y < 30 && x >= 2 && x < 30 {
					w = float32(gray[(y-2)*28+x-2]) / 255
				}
				if got := img[c*1024+y*32+x]; got != w {
					t.Fatalf("%s image %d channel %d (%d,%d) = %v, want %v", split, n, c, y, x, got, w)
				}
			}
		}
	}
}
