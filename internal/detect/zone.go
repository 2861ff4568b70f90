package detect

import (
	"errors"
	"fmt"
	"image"
	"math"
)

// Point is a position in normalized frame coordinates: X from 0 (left) to
// 1 (right), Y from 0 (top) to 1 (bottom).
type Point struct {
	X, Y float64
}

// Zone is a named polygon in normalized frame coordinates, so it does not
// depend on the stream's resolution.
type Zone struct {
	// ID names the zone in rules and events.
	ID string
	// Polygon lists the vertices in order (either winding); the closing
	// edge from the last vertex back to the first is implied.
	Polygon []Point
}

// Validate checks that the zone has an ID and at least 3 vertices, all with
// finite coordinates in [0,1].
func (z Zone) Validate() error {
	if z.ID == "" {
		return errors.New("zone: empty ID")
	}
	if len(z.Polygon) < 3 {
		return fmt.Errorf("zone %q: polygon has %d points, want at least 3", z.ID, len(z.Polygon))
	}
	for i, p := range z.Polygon {
		if !(p.X >= 0 && p.X <= 1 && p.Y >= 0 && p.Y <= 1) { // also rejects NaN
			return fmt.Errorf("zone %q: point %d (%v, %v) outside [0,1]", z.ID, i, p.X, p.Y)
		}
	}
	return nil
}

// Contains reports whether p lies inside the zone's polygon (even-odd ray
// casting, so self-intersecting polygons follow the even-odd rule). Points
// exactly on an edge may fall either way. A polygon with fewer than 3
// vertices contains nothing.
func (z Zone) Contains(p Point) bool {
	n := len(z.Polygon)
	if n < 3 || math.IsNaN(p.X) || math.IsNaN(p.Y) {
		return false
	}
	in := false
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		a, b := z.Polygon[i], z.Polygon[j]
		if (a.Y > p.Y) != (b.Y > p.Y) {
			x := a.X + (p.Y-a.Y)*(b.X-a.X)/(b.Y-a.Y)
			if p.X < x {
				in = !in
			}
		}
	}
	return in
}

// Anchor returns the bottom centre of box (where an object stands on the
// ground) normalized by the frame size w x h. It returns the zero Point if
// w or h is not positive.
func Anchor(box image.Rectangle, w, h int) Point {
	if w <= 0 || h <= 0 {
		return Point{}
	}
	return Point{
		X: float64(box.Min.X+box.Max.X) / 2 / float64(w),
		Y: float64(box.Max.Y) / float64(h),
	}
}
