package plate

import (
	"image"

	"gocv.io/x/gocv"
)

// Refinement: a text region of the coarse pass is looked at again on a
// crop around it, widened by refineMargin of its larger side, when it is
// at least refineMinHeight pixels high and at least refineMinAspect as
// wide as high (a plate cut short by the coarse map may be square).
const (
	refineMargin    = 1.0
	refineMinHeight = 6
	refineMinAspect = 0.7
)

// refine looks for a plate on a crop of img around q (img's pixels) with
// the finder at the crop's own resolution, and reads what it finds; the
// quadrilateral returned is in img's pixels.
func (r *Reader) refine(img gocv.Mat, q Quad) (Reading, Quad, string, error) {
	b := q.Bounds()
	if b.Dy() < refineMinHeight || float64(b.Dx()) < refineMinAspect*float64(b.Dy()) {
		return Reading{}, Quad{}, "", nil
	}
	m := int(refineMargin * float64(max(b.Dx(), b.Dy())))
	around := image.Rect(b.Min.X-m, b.Min.Y-m, b.Max.X+m, b.Max.Y+m).Intersect(image.Rect(0, 0, img.Cols(), img.Rows()))
	if around.Dx() < 8 || around.Dy() < 8 {
		return Reading{}, Quad{}, "", nil
	}
	sub := img.Region(around)
	defer sub.Close()
	regions, err := r.find.Find(sub)
	if err != nil {
		return Reading{}, Quad{}, "", err
	}
	best, bq, reason := Reading{}, Quad{}, ""
	for _, rg := range regions {
		got, fq, why, err := r.readAny(sub, rg)
		if err != nil {
			return Reading{}, Quad{}, "", err
		}
		if got.Text != "" && got.Score > best.Score {
			best, bq = got, fq.Translate(around.Min)
		}
		if why == ReasonUnreadable || reason == "" {
			reason = why
		}
	}
	if best.Text != "" {
		return best, bq, "", nil
	}
	return Reading{}, Quad{}, reason, nil
}
