package remote

import (
	"fmt"
	"io"
	"math"
)

// maxDim bounds each of a data header's c, h and w, so that their product cannot overflow.
const maxDim = 1 << 16

// checkData checks a problem request's data header: n ≥ 0 images of c×h×w with each size in
// 1..maxDim and at most 2^34 values in all.
func checkData(h *DataHeader) error {
	if h == nil || h.N < 0 || h.C <= 0 || h.H <= 0 || h.W <= 0 || h.C > maxDim || h.H > maxDim || h.W > maxDim ||
		int64(h.C)*int64(h.H)*int64(h.W) > 1<<34 || int64(h.N) > (1<<34)/(int64(h.C)*int64(h.H)*int64(h.W)) {
		return fmt.Errorf("problem request without a valid data header")
	}
	return nil
}

// readData reads n 32-bit words through put, growing the storage as the words arrive
// (grow(k) makes room for k), so that a header claiming more than the stream holds costs
// no more memory than the stream gives.
func readData(r io.Reader, n int, grow func(k int), put func(i int, u uint32)) error {
	done := 0
	for done < n {
		k := min(n-done, chunk)
		grow(done + k)
		if err := readWords(r, k, func(i int, u uint32) { put(done+i, u) }); err != nil {
			return err
		}
		done += k
	}
	return nil
}

// readImagesAndLabels reads the n·per float32 pixels and n int32 labels that follow a
// problem request.
func readImagesAndLabels(r io.Reader, n, per int) (images []float32, labels []int32, err error) {
	err = readData(r, n*per, func(k int) { images = append(images, make([]float32, k-len(images))...) },
		func(i int, u uint32) { images[i] = math.Float32frombits(u) })
	if err == nil {
		err = readData(r, n, func(k int) { labels = append(labels, make([]int32, k-len(labels))...) },
			func(i int, u uint32) { labels[i] = int32(u) })
	}
	if images == nil {
		images = []float32{}
	}
	if labels == nil {
		labels = []int32{}
	}
	return images, labels, err
}

// checkEval checks an eval request against the problem's n images: one β per α and
// 0 ≤ lo ≤ hi ≤ n.
func checkEval(req *Request, n int) string {
	switch {
	case len(req.A) != len(req.B):
		return fmt.Sprintf("eval request with %d α and %d β", len(req.A), len(req.B))
	case req.Lo < 0 || req.Lo > req.Hi || req.Hi > n:
		return fmt.Sprintf("eval request for images [%d, %d) of %d", req.Lo, req.Hi, n)
	}
	return ""
}
