package detect

import (
	"image"
	"math"
)

// containedRest is the fraction of a box that must lie inside a rest box,
// and edgeTol the tolerance (fraction of the rest box's side) within which
// at least two of its edges must match the rest box's, for the box to count
// as the same object partly hidden: a parked car half covered by a passing
// bus is detected as a smaller box inside its old one that keeps its top,
// bottom and one side; a vehicle driving away shrinks on all sides.
const (
	containedRest = 0.8
	edgeTol       = 0.1
)

// awayToMove is how many observations in a row must be away from the rest
// place before an object counts as moved: one odd box (a detector glitch, a
// passing vehicle's box taken for the object) does not restart its rest.
const awayToMove = 2

// diag returns the length of r's diagonal in pixels.
func diag(r image.Rectangle) float64 {
	return math.Hypot(float64(r.Dx()), float64(r.Dy()))
}

// area returns r's area in square pixels (0 for an empty rectangle).
func area(r image.Rectangle) float64 {
	if r.Empty() {
		return 0
	}
	return float64(r.Dx()) * float64(r.Dy())
}

// foot returns the bottom centre of r in pixels.
func foot(r image.Rectangle) (x, y float64) {
	return float64(r.Min.X+r.Max.X) / 2, float64(r.Max.Y)
}

// insideFrac returns the fraction of a's area that lies inside b.
func insideFrac(a, b image.Rectangle) float64 {
	aa := area(a)
	if aa == 0 {
		return 0
	}
	return area(a.Intersect(b)) / aa
}

// footDist returns the distance in pixels between the bottom centres of a
// and b.
func footDist(a, b image.Rectangle) float64 {
	ax, ay := foot(a)
	bx, by := foot(b)
	return math.Hypot(ax-bx, ay-by)
}

// restsAt reports whether box is still at the rest position rest: its bottom
// centre is within maxMove times the larger of the two box diagonals of
// rest's, or it is a part of rest (the object partly hidden, see partOf).
// Movement is thus judged relative to the object's size: a truck and a
// scooter that move by the same fraction of their size are treated alike.
func restsAt(rest, box image.Rectangle, maxMove float64) bool {
	if footDist(rest, box) <= maxMove*math.Max(diag(rest), diag(box)) {
		return true
	}
	return partOf(rest, box)
}

// partOf reports whether box looks like the visible part of rest: mostly
// inside it, with at least two edges where rest's are.
func partOf(rest, box image.Rectangle) bool {
	if insideFrac(box, rest) < containedRest {
		return false
	}
	tx, ty := edgeTol*float64(rest.Dx()), edgeTol*float64(rest.Dy())
	near := func(a, b int, tol float64) int {
		if math.Abs(float64(a-b)) <= tol {
			return 1
		}
		return 0
	}
	return near(box.Min.X, rest.Min.X, tx)+near(box.Max.X, rest.Max.X, tx)+
		near(box.Min.Y, rest.Min.Y, ty)+near(box.Max.Y, rest.Max.Y, ty) >= 2
}

// gap returns the distance in pixels between rectangles a and b, 0 if they
// touch or overlap.
func gap(a, b image.Rectangle) float64 {
	dx := max(a.Min.X-b.Max.X, b.Min.X-a.Max.X, 0)
	dy := max(a.Min.Y-b.Max.Y, b.Min.Y-a.Max.Y, 0)
	return math.Hypot(float64(dx), float64(dy))
}
