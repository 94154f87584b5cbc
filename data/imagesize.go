package data

import (
	"fmt"
	"image"
	"io"
)

// Limits on the size an image file may claim, checked from its header (image.DecodeConfig)
// before the decoder allocates its pixels: PNG's deflate gives at most 1032 bytes per
// compressed byte, 8 pixels each at 1 bit per pixel, and a JPEG needs at least a few bits per
// 8×8 block, so no real image has over maxPixelsPerByte pixels per byte of file; and
// maxPixels bounds what one image costs.
const (
	maxPixelsPerByte = 1 << 14
	maxPixels        = 1 << 26 // 64 megapixels, 8192×8192
)

// checkImageSize reads the header of the image in r (of size bytes) and refuses sizes no
// real file of that length can hold (and images with no pixels), then rewinds r.
func checkImageSize(path string, r io.ReadSeeker, size int64) error {
	cfg, _, err := image.DecodeConfig(r)
	if err != nil {
		return fmt.Errorf("data: imagefolder: %s: not a readable PNG or JPEG image: %w", path, err)
	}
	px := int64(cfg.Width) * int64(cfg.Height)
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return fmt.Errorf("data: imagefolder: %s: header says %dx%d pixels: an image with no pixels", path, cfg.Width, cfg.Height)
	}
	if px > maxPixels || px > maxPixelsPerByte*max(size, 64) {
		return fmt.Errorf("data: imagefolder: %s: header says %dx%d pixels, more than a %d-byte file holds (or over %d megapixels): the file is damaged", path, cfg.Width, cfg.Height, size, maxPixels>>20)
	}
	_, err = r.Seek(0, io.SeekStart)
	return err
}
