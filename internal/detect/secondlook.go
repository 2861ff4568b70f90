package detect

import (
	"image"

	"github.com/patrol-city/patrol/internal/media"
)

// Second look settings: the crop around the object and the overlap a box
// of the second look needs with it.
const (
	// SecondLookContext widens the crop around the object by this share of
	// its larger side on each side.
	SecondLookContext = 0.5
	// SecondLookIoU is the overlap a second-look box needs with a target.
	SecondLookIoU = 0.3
	// SecondLookMinSide is the smallest crop side, in pixels of the
	// picture: the detector's input size.
	SecondLookMinSide = 416
)

// shiftInside moves r into a w x h picture (keeping its size where it
// fits) and clips what does not.
func shiftInside(r image.Rectangle, w, h int) image.Rectangle {
	if r.Min.X < 0 {
		r = r.Add(image.Pt(-r.Min.X, 0))
	}
	if r.Min.Y < 0 {
		r = r.Add(image.Pt(0, -r.Min.Y))
	}
	if r.Max.X > w {
		r = r.Add(image.Pt(w-r.Max.X, 0))
	}
	if r.Max.Y > h {
		r = r.Add(image.Pt(0, h-r.Max.Y))
	}
	return r.Intersect(image.Rect(0, 0, w, h))
}

// Glance is the best box of a second look: its label and score (Label ""
// when nothing of the labels overlaps a target).
type Glance struct {
	Label string
	Score float32
}

// SecondLook runs detect on a crop of img around targets (the object, or
// a gathering's members; img's pixels), widened by SecondLookContext and
// to at least SecondLookMinSide, and
// returns the best detection of labels overlapping a target by at least
// SecondLookIoU. The object is seen larger than in the whole picture: the
// detector scales the crop, not the frame, to its input. ok is false when
// the crop is too small to look at.
func SecondLook(img *media.Image, targets []image.Rectangle, labels map[string]bool,
	detect func(*media.Image) ([]Detection, error)) (best Glance, ok bool, err error) {
	var union image.Rectangle
	for _, t := range targets {
		union = union.Union(t)
	}
	m := int(float64(max(union.Dx(), union.Dy())) * SecondLookContext)
	crop := union.Inset(-m)
	// Never smaller than the detector's input: the object is seen at the
	// picture's own resolution at most, not enlarged into a blur.
	if d := SecondLookMinSide - crop.Dx(); d > 0 {
		crop.Min.X, crop.Max.X = crop.Min.X-d/2, crop.Max.X+d-d/2
	}
	if d := SecondLookMinSide - crop.Dy(); d > 0 {
		crop.Min.Y, crop.Max.Y = crop.Min.Y-d/2, crop.Max.Y+d-d/2
	}
	crop = shiftInside(crop, img.Width, img.Height)
	if crop.Dx() < 8 || crop.Dy() < 8 || len(img.BGR) != img.Width*img.Height*3 {
		return Glance{}, false, nil
	}
	sub := img.Crop(crop)
	dets, err := detect(&sub)
	if err != nil {
		return Glance{}, false, err
	}
	for _, d := range dets {
		if !labels[d.Label] || d.Score <= best.Score {
			continue
		}
		box := d.Box.Add(crop.Min)
		for _, t := range targets {
			if IoU(box, t) >= SecondLookIoU {
				best = Glance{Label: d.Label, Score: d.Score}
				break
			}
		}
	}
	return best, true, nil
}
