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

// Regions returns the bounds of the plate-shaped text regions in a
// vehicle's box of img, read or not: the plates to blur in a redacted
// copy. Safe for concurrent use: calls are serialised.
func (r *Reader) Regions(img *media.Image, box image.Rectangle) ([]image.Rectangle, error) {
	m, err := mat(img)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	box = box.Intersect(image.Rect(0, 0, img.Width, img.Height))
	if box.Dx() < 8 || box.Dy() < 8 {
		return nil, nil
	}
	crop := m.Region(box)
	defer crop.Close()
	r.mu.Lock()
	defer r.mu.Unlock()
	regions, err := r.find.Find(crop)
	if err != nil {
		return nil, err
	}
	var out []image.Rectangle
	for _, rg := range regions {
		if q := rg.Quad; q.Width() >= minAspect*q.Height() && q.Width() <= maxAspect*q.Height() {
			out = append(out, q.widen(margins[1]).Translate(box.Min).Bounds().Intersect(box))
		}
	}
	return out, nil
}
