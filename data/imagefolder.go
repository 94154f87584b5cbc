package data

import (
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // registers JPEG decoding
	_ "image/png"  // registers PNG decoding
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// torchvision's IMG_EXTENSIONS: files ImageFolder takes (case-insensitively); other files are
// skipped as there. Of these, PNG and JPEG are decoded; the rest are an error rather than a
// silently different set.
var (
	imageExts   = []string{".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"}
	decodedExts = []string{".jpg", ".jpeg", ".png"}
)

// sample is one image file and its class index.
type sample struct {
	path  string
	class int
}

// imageFolderSamples lists the samples as torchvision's ImageFolder(root) does: classes are
// the sub-folders of root sorted by name; each class's files are found by
// sorted(os.walk(class_dir, followlinks=True)) — folders in path order, files sorted by name.
func imageFolderSamples(root string) ([]string, []sample, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, nil, fmt.Errorf("data: imagefolder: %w", err)
	}
	var classes []string
	for _, e := range ents {
		if isDir(filepath.Join(root, e.Name())) {
			classes = append(classes, e.Name())
		}
	}
	slices.Sort(classes)
	if len(classes) == 0 {
		return nil, nil, fmt.Errorf("data: imagefolder %s: no class folders (want %s/<class>/<image>.png)", root, root)
	}
	var out []sample
	for ci, cl := range classes {
		var dirs []string // every folder under the class, for sorted(os.walk(...))
		var walk func(string) error
		walk = func(d string) error {
			dirs = append(dirs, d)
			es, err := os.ReadDir(d)
			if err != nil {
				return fmt.Errorf("data: imagefolder: %w", err)
			}
			for _, e := range es {
				if p := filepath.Join(d, e.Name()); isDir(p) {
					if err := walk(p); err != nil {
						return err
					}
				}
			}
			return nil
		}
		if err := walk(filepath.Join(root, cl)); err != nil {
			return nil, nil, err
		}
		slices.Sort(dirs)
		n := len(out)
		for _, d := range dirs {
			es, _ := os.ReadDir(d)
			var files []string
			for _, e := range es {
				p := filepath.Join(d, e.Name())
				if !isDir(p) && slices.Contains(imageExts, strings.ToLower(filepath.Ext(e.Name()))) {
					files = append(files, e.Name())
				}
			}
			slices.Sort(files)
			for _, name := range files {
				out = append(out, sample{filepath.Join(d, name), ci})
			}
		}
		if len(out) == n {
			return nil, nil, fmt.Errorf("data: imagefolder %s: class folder %q has no image files (%s)", root, cl, strings.Join(imageExts, " "))
		}
	}
	return classes, out, nil
}

// isDir reports whether p is a folder, following symbolic links.
func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// loadImageFolder decodes the images of an ImageFolder tree into a Set, each transformed by
// opt.Geometry (torchvision's Resize and CenterCrop on the RGB image) and then all of one size:
// RGB (3 channels) or grayscale (1) as opt.Channels says, else 1 when every image is grayscale
// and 3 otherwise; pixels scaled by 1/255 and normalised as opt says (none by default).
func loadImageFolder(root string, opt Options) (*Set, error) {
	if opt.Channels != 0 && opt.Channels != 1 && opt.Channels != 3 {
		return nil, fmt.Errorf("data: imagefolder %s: images convert to 1 (L) or 3 (RGB) channels, not %d", root, opt.Channels)
	}
	classes, samples, err := imageFolderSamples(root)
	if err != nil {
		return nil, err
	}
	if opt.Limit > 0 && opt.Limit < len(samples) {
		samples = samples[:opt.Limit]
	}
	st, err := statsFor("imagefolder", opt)
	if err != nil {
		return nil, err
	}
	imgs := make([][][]byte, len(samples)) // per image, its R, G and B planes
	gray := true
	var w, h int
	for i, sm := range samples {
		im, err := decodeImage(sm.path)
		if err != nil {
			return nil, err
		}
		if _, ok := im.(*image.Gray); !ok {
			gray = false
		}
		b := im.Bounds()
		if b.Empty() {
			return nil, fmt.Errorf("data: imagefolder: %s: the image has no pixels (%dx%d)", sm.path, b.Dx(), b.Dy())
		}
		if err := opt.Geometry.check(sm.path, b.Dx(), b.Dy()); err != nil {
			return nil, err
		}
		var iw, ih int
		imgs[i], iw, ih = opt.Geometry.apply(rgbPlanes(im), b.Dx(), b.Dy())
		if i == 0 {
			w, h = iw, ih
		} else if iw != w || ih != h {
			return nil, fmt.Errorf("data: imagefolder: %s is %dx%d (width x height)%s but %s is %dx%d: all images must have one size, the network's (resize them first, or give --resize and --center-crop)",
				sm.path, b.Dx(), b.Dy(), opt.Geometry.after(iw, ih), samples[0].path, w, h)
		}
	}
	c := opt.Channels
	if c == 0 {
		c = 3
		if gray {
			c = 1
		}
	}
	tab, err := tables(st, c)
	if err != nil {
		return nil, fmt.Errorf("data: imagefolder %s: %w", root, err)
	}
	s := &Set{N: len(samples), C: c, H: h, W: w, Classes: len(classes),
		Images: make([]float32, len(samples)*c*h*w), Labels: make([]int32, len(samples)), Black: blackLevels(tab)}
	for i, planes := range imgs {
		if c == 1 {
			planes = [][]byte{luma(planes)}
		}
		for ch := range c {
			convert(s.Image(i)[ch*h*w:(ch+1)*h*w], planes[ch], &tab[ch])
		}
		s.Labels[i] = int32(samples[i].class)
	}
	return s, nil
}

// decodeImage reads a PNG or JPEG file with 8 bits per channel.
func decodeImage(path string) (image.Image, error) {
	if ext := strings.ToLower(filepath.Ext(path)); !slices.Contains(decodedExts, ext) {
		return nil, fmt.Errorf("data: imagefolder: %s: %s images are not read here (PNG and JPEG are): convert it, or move it out of the folder", path, ext)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: imagefolder: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, fmt.Errorf("data: imagefolder: %w", err)
	} else if err := checkImageSize(path, f, fi.Size()); err != nil {
		return nil, err
	}
	im, format, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("data: imagefolder: %s: not a readable PNG or JPEG image: %w", path, err)
	}
	switch im.(type) {
	case *image.Gray, *image.RGBA, *image.NRGBA, *image.Paletted, *image.YCbCr:
		return im, nil
	}
	return nil, fmt.Errorf("data: imagefolder: %s: a %s image with %T pixels; want 8-bit grayscale, RGB, RGBA or palette (16-bit and CMYK are not read)", path, format, im)
}

// rgb returns the 8-bit red, green and blue of one non-JPEG pixel as PIL's convert("RGB") gives them:
// gray replicated, alpha dropped (not composited), palette entries looked up.
func rgb(im image.Image, x, y int) (r, g, b uint8) {
	switch m := im.(type) {
	case *image.Gray:
		v := m.GrayAt(x, y).Y
		return v, v, v
	case *image.RGBA: // opaque PNGs decode to RGBA with alpha 255
		p := m.RGBAAt(x, y)
		if p.A == 255 {
			return p.R, p.G, p.B
		}
	case *image.NRGBA:
		p := m.NRGBAAt(x, y)
		return p.R, p.G, p.B
	case *image.Paletted:
		switch p := m.Palette[m.ColorIndexAt(x, y)].(type) {
		case color.NRGBA:
			return p.R, p.G, p.B
		case color.RGBA:
			if p.A == 255 {
				return p.R, p.G, p.B
			}
		}
	}
	p := color.NRGBAModel.Convert(im.At(x, y)).(color.NRGBA)
	return p.R, p.G, p.B
}

// rgbPlanes returns im's red, green and blue planes as PIL's convert("RGB") gives them
// (JPEGs as libjpeg converts them).
func rgbPlanes(im image.Image) [][]byte {
	b := im.Bounds()
	h, w := b.Dy(), b.Dx()
	if m, ok := im.(*image.YCbCr); ok {
		r, g, bl := libjpegRGB(m)
		return [][]byte{r, g, bl}
	}
	r, g, bl := make([]byte, w*h), make([]byte, w*h), make([]byte, w*h)
	for y := range h {
		for x := range w {
			at := y*w + x
			r[at], g[at], bl[at] = rgb(im, b.Min.X+x, b.Min.Y+y)
		}
	}
	return [][]byte{r, g, bl}
}

// luma is PIL's convert("L") of RGB planes: L = (19595·R + 38470·G + 7471·B + 2^15) >> 16
// (exactly the gray value for gray images).
func luma(planes [][]byte) []byte {
	r, g, b := planes[0], planes[1], planes[2]
	out := make([]byte, len(r))
	for i := range out {
		out[i] = uint8((19595*uint32(r[i]) + 38470*uint32(g[i]) + 7471*uint32(b[i]) + 1<<15) >> 16)
	}
	return out
}
