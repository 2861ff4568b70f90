package plate

import (
	"fmt"
	"image"

	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/internal/media"
)

// mat wraps a packed BGR picture as an OpenCV matrix (no copy; valid while
// img is), after checking its sizes: OpenCV aborts on bad arguments.
func mat(img *media.Image) (gocv.Mat, error) {
	if img == nil || img.Width < 8 || img.Height < 8 || len(img.BGR) != img.Width*img.Height*3 {
		return gocv.Mat{}, fmt.Errorf("plate: not a packed BGR picture of at least 8x8")
	}
	m, err := gocv.NewMatFromBytes(img.Height, img.Width, gocv.MatTypeCV8UC3, img.BGR)
	if err != nil {
		return gocv.Mat{}, fmt.Errorf("plate: %w", err)
	}
	return m, nil
}

// ReadPicture is ReadVehicle on a decoded picture. Safe for concurrent
// use: calls are serialised.
func (r *Reader) ReadPicture(img *media.Image, box image.Rectangle) (Result, error) {
	m, err := mat(img)
	if err != nil {
		return Result{}, err
	}
	defer m.Close()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ReadVehicle(m, box)
}

// Tiles of the plate search over a whole picture (Plates): about tileW x
// tileH pixels each, overlapping by tileOverlap, so that the text detector
// sees plates at about the picture's own resolution.
const (
	tileW, tileH = 960, 544
	tileOverlap  = 64
)

// Plates returns the bounds of every plate-shaped text region of img with
// a plate's colour (blue, green), read or not, searched over the whole
// picture in tiles: the plates to blur in a redacted copy, whether or not
// the detector found their vehicles. Safe for concurrent use: calls are
// serialised.
func (r *Reader) Plates(img *media.Image) ([]image.Rectangle, error) {
	m, err := mat(img)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []image.Rectangle
	for _, t := range tiles(img.Width, img.Height) {
		crop := m.Region(t)
		regions, err := r.find.Find(crop)
		if err != nil {
			crop.Close()
			return nil, err
		}
		for _, rg := range regions {
			q := rg.Quad
			if q.Height() < refineMinHeight || q.Width() < minAspect*q.Height() || q.Width() > maxAspect*q.Height() {
				continue
			}
			plate, ok := q.warp(crop)
			if !ok {
				continue
			}
			if colourOf(plate) != colourOther {
				out = append(out, blurBox(q.Translate(t.Min).Bounds()).Intersect(image.Rect(0, 0, img.Width, img.Height)))
			}
			plate.Close()
		}
		crop.Close()
	}
	return out, nil
}

// tiles covers a w x h picture with as few tiles of about tileW x tileH as
// fit, overlapping by tileOverlap.
func tiles(w, h int) []image.Rectangle {
	axis := func(n, size int) [][2]int {
		k := (n + size - 1) / size
		step := (n + k - 1) / k
		var out [][2]int
		for i := range k {
			out = append(out, [2]int{max(0, i*step-tileOverlap/2), min(n, (i+1)*step+tileOverlap/2)})
		}
		return out
	}
	var out []image.Rectangle
	for _, y := range axis(h, tileH) {
		for _, x := range axis(w, tileW) {
			if x[1]-x[0] >= 8 && y[1]-y[0] >= 8 {
				out = append(out, image.Rect(x[0], y[0], x[1], y[1]))
			}
		}
	}
	return out
}

// blurBox widens a found plate region to what a redacted copy blurs: the
// text detector often finds part of a plate (a character hidden, a worn
// edge), and blurring too much costs nothing.
func blurBox(b image.Rectangle) image.Rectangle {
	dx := max(b.Dx()/4, b.Dy()*3/2)
	dy := b.Dy() / 2
	return image.Rect(b.Min.X-dx, b.Min.Y-dy, b.Max.X+dx, b.Max.Y+dy)
}
