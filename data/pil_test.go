package data

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"landscape/internal/testenv"
)

// pilScript writes an ImageFolder tree with PIL in every mode torchvision users meet, and the
// pixels torchvision's default loader gives for each sample in ImageFolder's order:
// Image.open(p).convert("RGB") (rgb.bin, HWC bytes), then .convert("L") (l.bin), the labels
// (labels.txt) and which samples are JPEG (jpeg.txt).
const pilScript = `
import os, sys, random
from PIL import Image
root, out = sys.argv[1], sys.argv[2]
random.seed(1)
W, H = 7, 5
def noise(mode):
    n = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4, "P": 1}[mode]
    return Image.frombytes(mode, (W, H), bytes(random.randrange(256) for _ in range(W * H * n)))
def smooth(mode):
    im = Image.new("RGB", (W, H))
    im.putdata([(20 + 30 * x, 200 - 25 * y, 90 + 10 * (x + y)) for y in range(H) for x in range(W)])
    return im.convert(mode)
specs = [("gray", "a.png", noise("L")), ("gray", "sub/b.png", noise("L")), ("rgb", "x.png", noise("RGB")),
         ("rgba", "y.png", noise("RGBA")), ("la", "z.png", noise("LA")), ("pal", "p.png", noise("RGB").convert("P")),
         ("jpg", "c.jpg", smooth("RGB")), ("jpg", "d.jpeg", smooth("L")), ("jpg", "e.JPG", noise("RGB")),
         ("jpg422", "f.jpg", noise("RGB")), ("jpg444", "g.jpg", noise("RGB"))]
for cls, name, im in specs:
    p = os.path.join(root, cls, name)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    sub = {"jpg": 2, "jpg422": 1, "jpg444": 0}.get(cls)  # 4:2:0, 4:2:2, 4:4:4
    im.save(p, quality=90, subsampling=sub) if sub is not None else im.save(p)
classes = sorted(e.name for e in os.scandir(root) if e.is_dir())
rgb, l, labels, jpeg = b"", b"", [], []
for ci, c in enumerate(classes):
    for r, _, fs in sorted(os.walk(os.path.join(root, c), followlinks=True)):
        for f in sorted(fs):
            im = Image.open(os.path.join(r, f)).convert("RGB")
            rgb += im.tobytes(); l += im.convert("L").tobytes()
            labels.append(ci); jpeg.append(int(f.lower().endswith(("jpg", "jpeg"))))
open(os.path.join(out, "rgb.bin"), "wb").write(rgb)
open(os.path.join(out, "l.bin"), "wb").write(l)
open(os.path.join(out, "labels.txt"), "w").write(" ".join(map(str, labels)))
open(os.path.join(out, "jpeg.txt"), "w").write(" ".join(map(str, jpeg)))
`

// TestImageFolderPIL compares the imagefolder reader with PIL on files PIL wrote: PNG in modes
// L, RGB, RGBA, LA and P bit for bit, JPEG (4:2:0, 4:2:2, 4:4:4) within 3 levels (Go's IDCT).
func TestImageFolderPIL(t *testing.T) {
	testenv.Python(t, "PIL")
	root, out := t.TempDir(), t.TempDir()
	runPython(t, pilScript, root, out)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	rgb, l := []byte(read("rgb.bin")), []byte(read("l.bin"))
	jpeg := strings.Fields(read("jpeg.txt"))
	const w, h = 7, 5
	for _, c := range []int{3, 1} {
		s, err := Load("imagefolder:"+root, Options{Channels: c})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Trim(fmt.Sprint(s.Labels), "[]"); got != read("labels.txt") {
			t.Fatalf("labels %s, PIL/torchvision order gives %s", got, read("labels.txt"))
		}
		want := l
		if c == 3 {
			want = rgb
		}
		jpegMax := 0
		for i := range s.N {
			for y := range h {
				for x := range w {
					for ch := range c {
						got := int(s.Image(i)[ch*w*h+y*w+x]*255 + 0.5)
						ref := int(want[((i*h+y)*w+x)*c+ch])
						d := max(got-ref, ref-got)
						if jpeg[i] == "1" {
							jpegMax = max(jpegMax, d)
						} else if d != 0 {
							t.Fatalf("%d channels, PNG sample %d (x %d, y %d, channel %d): %d, PIL gives %d", c, i, x, y, ch, got, ref)
						}
					}
				}
			}
		}
		t.Logf("%d channels: PNG samples equal to PIL's; JPEG samples within %d levels of PIL's", c, jpegMax)
		if jpegMax > 3 { // nearest-neighbour chroma instead of libjpeg's fancy upsampling gives ~50
			t.Errorf("%d channels: JPEG samples up to %d levels from PIL's, want ≤ 3 (IDCT rounding only)", c, jpegMax)
		}
	}
}
