package plate

import (
	"image"
	"image/color"
	"math"

	"gocv.io/x/gocv"
)

// Pt is a point in pixels.
type Pt struct{ X, Y float64 }

// Quad is a quadrilateral: corners top-left, top-right, bottom-right,
// bottom-left. A plate seen at an angle is a quadrilateral, not a rotated
// rectangle: rectifying its four corners (a perspective warp) gives the
// recogniser an upright plate.
type Quad [4]Pt

// Width is the longer of the top and bottom edges.
func (q Quad) Width() float64 { return math.Max(dist(q[0], q[1]), dist(q[3], q[2])) }

// Height is the longer of the left and right edges.
func (q Quad) Height() float64 { return math.Max(dist(q[0], q[3]), dist(q[1], q[2])) }

// Bounds is the smallest rectangle holding the corners.
func (q Quad) Bounds() image.Rectangle {
	x0, y0, x1, y1 := q[0].X, q[0].Y, q[0].X, q[0].Y
	for _, p := range q[1:] {
		x0, y0, x1, y1 = math.Min(x0, p.X), math.Min(y0, p.Y), math.Max(x1, p.X), math.Max(y1, p.Y)
	}
	return image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x1)), int(math.Ceil(y1)))
}

// Translate moves the corners by d.
func (q Quad) Translate(d image.Point) Quad {
	for i := range q {
		q[i].X += float64(d.X)
		q[i].Y += float64(d.Y)
	}
	return q
}

// widen moves the left corners left and the right corners right, each by
// f of the distance between them (along the plate's rows).
func (q Quad) widen(f float64) Quad {
	for _, p := range [2][2]int{{0, 1}, {3, 2}} {
		l, r := q[p[0]], q[p[1]]
		dx, dy := (r.X-l.X)*f, (r.Y-l.Y)*f
		q[p[0]] = Pt{l.X - dx, l.Y - dy}
		q[p[1]] = Pt{r.X + dx, r.Y + dy}
	}
	return q
}

func (q Quad) scale(sx, sy float64) Quad {
	for i := range q {
		q[i].X *= sx
		q[i].Y *= sy
	}
	return q
}

func dist(a, b Pt) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }

// area is the shoelace area; perimeter the sum of the edges.
func (q Quad) area() float64 {
	s := 0.0
	for i := range q {
		j := (i + 1) % 4
		s += q[i].X*q[j].Y - q[j].X*q[i].Y
	}
	return math.Abs(s) / 2
}

func (q Quad) perimeter() float64 {
	s := 0.0
	for i := range q {
		s += dist(q[i], q[(i+1)%4])
	}
	return s
}

// quadOf approximates a contour by four corners, in up to two ways: the
// four vertices of its convex hull (lightly simplified) that span the
// largest area, and the hull simplified until four corners remain; the
// minimum-area rectangle when neither works. Nil for a degenerate
// contour. (Simplifying the hull cuts a corner off a plate whose region
// came out ragged, as on a compressed picture; the largest quadrilateral
// misses the slant of some plates seen at an angle: both are read.)
func quadOf(c gocv.PointVector) []Quad {
	if c.Size() < 3 {
		return nil
	}
	hull := gocv.NewMat()
	defer hull.Close()
	gocv.ConvexHull(c, &hull, false, true)
	if hull.Rows() < 3 || hull.Cols() != 1 || hull.Channels() != 2 {
		return nil
	}
	pts := make([]image.Point, hull.Rows())
	for i := range pts {
		v := hull.GetVeciAt(i, 0)
		pts[i] = image.Pt(int(v[0]), int(v[1]))
	}
	hv := gocv.NewPointVectorFromPoints(pts)
	defer hv.Close()
	peri := gocv.ArcLength(hv, true)
	var out []Quad
	add := func(ps []image.Point) {
		if q, ok := order(ps); ok && (len(out) == 0 || out[0] != q) {
			out = append(out, q)
		}
	}
	largest := false
	for eps := 0.005; eps <= 0.1; eps += 0.005 {
		a := gocv.ApproxPolyDP(hv, eps*peri, true)
		ps := a.ToPoints()
		a.Close()
		if len(ps) < 4 {
			break
		}
		if len(ps) <= maxHullCorners && !largest {
			add(largestQuad(ps))
			largest = true
		}
		if len(ps) == 4 {
			add(ps)
			break
		}
	}
	if len(out) == 0 {
		add(gocv.MinAreaRect(hv).Points)
	}
	return out
}

// maxHullCorners bounds the search of largestQuad (C(24, 4) = 10626).
const maxHullCorners = 24

// largestQuad returns the four points of a convex polygon (in order)
// spanning the largest area.
func largestQuad(ps []image.Point) []image.Point {
	n := len(ps)
	best, area := []image.Point(nil), -1.0
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			for k := j + 1; k < n; k++ {
				for l := k + 1; l < n; l++ {
					q := []image.Point{ps[i], ps[j], ps[k], ps[l]}
					if a := polyArea(q); a > area {
						best, area = q, a
					}
				}
			}
		}
	}
	return best
}

func polyArea(ps []image.Point) float64 {
	s := 0
	for i := range ps {
		j := (i + 1) % len(ps)
		s += ps[i].X*ps[j].Y - ps[j].X*ps[i].Y
	}
	return math.Abs(float64(s)) / 2
}

// order puts four points in the order top-left, top-right, bottom-right,
// bottom-left (by x+y and y-x); ok is false when two points share a role.
func order(ps []image.Point) (Quad, bool) {
	if len(ps) != 4 {
		return Quad{}, false
	}
	tl, tr, br, bl := 0, 0, 0, 0
	for i, p := range ps {
		if p.X+p.Y < ps[tl].X+ps[tl].Y {
			tl = i
		}
		if p.X+p.Y > ps[br].X+ps[br].Y {
			br = i
		}
		if p.Y-p.X < ps[tr].Y-ps[tr].X {
			tr = i
		}
		if p.Y-p.X > ps[bl].Y-ps[bl].X {
			bl = i
		}
	}
	if seen := map[int]bool{tl: true, tr: true, br: true, bl: true}; len(seen) != 4 {
		return Quad{}, false
	}
	pt := func(i int) Pt { return Pt{float64(ps[i].X), float64(ps[i].Y)} }
	q := Quad{pt(tl), pt(tr), pt(br), pt(bl)}
	return q, q.area() >= 4
}

// unclip moves each edge outward by area*ratio/perimeter (DB's unclip,
// for a quadrilateral) and returns the new corners; ok is false when two
// neighbouring edges are parallel.
func (q Quad) unclip(ratio float64) (Quad, bool) {
	d := q.area() * ratio / q.perimeter()
	type line struct{ p, e Pt }
	var ls [4]line
	for i := range q {
		a, b := q[i], q[(i+1)%4]
		e := Pt{b.X - a.X, b.Y - a.Y}
		n := math.Hypot(e.X, e.Y)
		if n == 0 {
			return Quad{}, false
		}
		// Corners run clockwise on screen: (e.y, -e.x) points outward.
		ls[i] = line{Pt{a.X + e.Y/n*d, a.Y - e.X/n*d}, e}
	}
	var out Quad
	for i := range ls {
		l1, l2 := ls[(i+3)%4], ls[i]
		den := l1.e.X*(-l2.e.Y) - (-l2.e.X)*l1.e.Y
		if math.Abs(den) < 1e-9 {
			return Quad{}, false
		}
		dx, dy := l2.p.X-l1.p.X, l2.p.Y-l1.p.Y
		t := (dx*(-l2.e.Y) - (-l2.e.X)*dy) / den
		out[i] = Pt{l1.p.X + l1.e.X*t, l1.p.Y + l1.e.Y*t}
	}
	return out, true
}

// maxWarpSide bounds a rectified region's side.
const maxWarpSide = 2000

// warp rectifies the region q of img into an upright picture of its width
// and height (edges replicated beyond img). ok is false when q is too
// small or too large.
func (q Quad) warp(img gocv.Mat) (gocv.Mat, bool) {
	w, h := int(math.Round(q.Width())), int(math.Round(q.Height()))
	if w < 4 || h < 4 || w > maxWarpSide || h > maxWarpSide {
		return gocv.Mat{}, false
	}
	src := gocv.NewPoint2fVectorFromPoints([]gocv.Point2f{
		{X: float32(q[0].X), Y: float32(q[0].Y)}, {X: float32(q[1].X), Y: float32(q[1].Y)},
		{X: float32(q[2].X), Y: float32(q[2].Y)}, {X: float32(q[3].X), Y: float32(q[3].Y)},
	})
	defer src.Close()
	dst := gocv.NewPoint2fVectorFromPoints([]gocv.Point2f{{X: 0, Y: 0}, {X: float32(w), Y: 0}, {X: float32(w), Y: float32(h)}, {X: 0, Y: float32(h)}})
	defer dst.Close()
	m := gocv.GetPerspectiveTransform2f(src, dst)
	defer m.Close()
	out := gocv.NewMat()
	gocv.WarpPerspectiveWithParams(img, &out, m, image.Pt(w, h), gocv.InterpolationLinear, gocv.BorderReplicate, color.RGBA{})
	return out, true
}
