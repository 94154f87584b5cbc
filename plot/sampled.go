package plot

import (
	"fmt"
	"path/filepath"

	"landscape/surface"
)

// ImagesMap draws the images a tolerance scan used at each point (<prefix>_images.png and
// .svg; the file's <split>_images), from 0 to every example: where the surface is flat and
// low the estimate needs few, where the loss varies most from image to image it needs more.
// ok is false, and nothing is drawn, for an exact surface.
func ImagesMap(sf *surface.Surface, path, outPrefix string) (paths []string, ok bool, err error) {
	im := sf.Extra[surface.ImagesKey(sf.Split)]
	if !sf.Sampled() || im == nil {
		return nil, false, nil
	}
	n := float64(max(sf.Settings.Examples, 1))
	title := fmt.Sprintf("%s: %s images used per point (of %d; tolerance %g)", filepath.Base(path), sf.Split, sf.Settings.Examples, sf.Settings.Tolerance)
	return valueMap(sf, path, outPrefix+"_images", im, n, title, "images", viridis)
}
