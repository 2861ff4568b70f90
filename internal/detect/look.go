package detect

import (
	"image"
	"math"

	"github.com/patrol-city/patrol/internal/media"
)

// lookSide is the side of a Look's thumbnail in samples.
const lookSide = 8

// flatColour is the mean difference in grey levels under which two flat
// looks are the same colour.
const flatColour = 12

// Look is a cheap appearance signature of an object: its box scaled to an
// 8x8 colour thumbnail. Two looks are compared with Match, a normalized
// correlation that ignores a change of brightness or contrast (a cloud,
// street lights) but not a different object at the same place. The zero
// Look is "unknown".
type Look struct {
	v  [lookSide * lookSide * 3]float32
	ok bool
}

// Known reports whether the look was taken from a picture.
func (l Look) Known() bool { return l.ok }

// LookAt takes the look of box (pixels, clipped to the picture) in img.
// Boxes smaller than 2x2 pixels inside the picture give the zero Look.
func LookAt(img *media.Image, box image.Rectangle) Look {
	var l Look
	if img == nil || len(img.BGR) < img.Width*img.Height*3 {
		return l
	}
	b := box.Intersect(image.Rect(0, 0, img.Width, img.Height))
	if b.Dx() < 2 || b.Dy() < 2 {
		return l
	}
	for sy := 0; sy < lookSide; sy++ {
		y0 := b.Min.Y + sy*b.Dy()/lookSide
		y1 := max(b.Min.Y+(sy+1)*b.Dy()/lookSide, y0+1)
		for sx := 0; sx < lookSide; sx++ {
			x0 := b.Min.X + sx*b.Dx()/lookSide
			x1 := max(b.Min.X+(sx+1)*b.Dx()/lookSide, x0+1)
			// At most 4x4 pixels per cell: enough for a signature, cheap
			// for a box of any size.
			m := img.Mean(image.Rect(x0, y0, x1, y1), (x1-x0)/4, (y1-y0)/4)
			copy(l.v[(sy*lookSide+sx)*3:], m[:])
		}
	}
	l.ok = true
	return l
}

// Match returns the normalized correlation of two looks in [-1, 1]: about
// 1 for the same object (also under a brightness change), low for a
// different one. It returns 1 when either look is unknown (no evidence
// against), and 0 when one look is flat (nothing to compare).
func (l Look) Match(o Look) float64 {
	if !l.ok || !o.ok {
		return 1
	}
	var ma, mb float64
	for i := range l.v {
		ma += float64(l.v[i])
		mb += float64(o.v[i])
	}
	n := float64(len(l.v))
	ma, mb = ma/n, mb/n
	var ab, aa, bb float64
	for i := range l.v {
		a, b := float64(l.v[i])-ma, float64(o.v[i])-mb
		ab += a * b
		aa += a * a
		bb += b * b
	}
	// A flat look (a uniform panel: below about 2 grey levels of spread)
	// has no pattern to correlate: two flat looks match when their colours
	// are close, a flat and a patterned one do not.
	flatA, flatB := aa < n*4, bb < n*4
	switch {
	case flatA && flatB:
		var d float64
		for i := range l.v {
			d += math.Abs(float64(l.v[i]) - float64(o.v[i]))
		}
		if d/n <= flatColour {
			return 1
		}
		return 0
	case flatA || flatB:
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}
