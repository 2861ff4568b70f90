package detect

import (
	"image"
	"math"
	"testing"
)

func TestZoneContains(t *testing.T) {
	square := Zone{ID: "sq", Polygon: []Point{{0.2, 0.2}, {0.8, 0.2}, {0.8, 0.8}, {0.2, 0.8}}}
	// L shape: the notch (0.5..0.9, 0.1..0.5) is outside.
	ell := Zone{ID: "L", Polygon: []Point{{0.1, 0.1}, {0.5, 0.1}, {0.5, 0.5}, {0.9, 0.5}, {0.9, 0.9}, {0.1, 0.9}}}
	tri := Zone{ID: "tri", Polygon: []Point{{0, 1}, {0.5, 0}, {1, 1}}}
	tests := []struct {
		zone Zone
		p    Point
		want bool
	}{
		{square, Point{0.5, 0.5}, true},
		{square, Point{0.21, 0.79}, true},
		{square, Point{0.1, 0.5}, false},
		{square, Point{0.5, 0.9}, false},
		{square, Point{0.9, 0.9}, false},
		{square, Point{math.NaN(), 0.5}, false},
		{ell, Point{0.3, 0.3}, true},
		{ell, Point{0.7, 0.3}, false}, // in the notch
		{ell, Point{0.7, 0.7}, true},
		{ell, Point{0.95, 0.7}, false},
		{tri, Point{0.5, 0.5}, true},
		{tri, Point{0.1, 0.5}, false},
		{tri, Point{0.9, 0.95}, true},
		{Zone{ID: "line", Polygon: []Point{{0, 0}, {1, 1}}}, Point{0.5, 0.5}, false},
	}
	for _, tc := range tests {
		if got := tc.zone.Contains(tc.p); got != tc.want {
			t.Errorf("zone %s Contains(%v) = %v, want %v", tc.zone.ID, tc.p, got, tc.want)
		}
		// Winding order must not matter.
		rev := Zone{ID: tc.zone.ID}
		for i := len(tc.zone.Polygon) - 1; i >= 0; i-- {
			rev.Polygon = append(rev.Polygon, tc.zone.Polygon[i])
		}
		if got := rev.Contains(tc.p); got != tc.want {
			t.Errorf("reversed zone %s Contains(%v) = %v, want %v", tc.zone.ID, tc.p, got, tc.want)
		}
	}
}

func TestZoneValidate(t *testing.T) {
	tests := []struct {
		name string
		zone Zone
		ok   bool
	}{
		{"ok", Zone{ID: "z", Polygon: []Point{{0, 0}, {1, 0}, {1, 1}}}, true},
		{"no id", Zone{Polygon: []Point{{0, 0}, {1, 0}, {1, 1}}}, false},
		{"two points", Zone{ID: "z", Polygon: []Point{{0, 0}, {1, 1}}}, false},
		{"nil polygon", Zone{ID: "z"}, false},
		{"x > 1", Zone{ID: "z", Polygon: []Point{{0, 0}, {1.01, 0}, {1, 1}}}, false},
		{"y < 0", Zone{ID: "z", Polygon: []Point{{0, -0.1}, {1, 0}, {1, 1}}}, false},
		{"NaN", Zone{ID: "z", Polygon: []Point{{math.NaN(), 0}, {1, 0}, {1, 1}}}, false},
		{"Inf", Zone{ID: "z", Polygon: []Point{{0, 0}, {math.Inf(1), 0}, {1, 1}}}, false},
	}
	for _, tc := range tests {
		if err := tc.zone.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestAnchor(t *testing.T) {
	tests := []struct {
		box  image.Rectangle
		w, h int
		want Point
	}{
		{image.Rect(100, 50, 300, 200), 400, 200, Point{0.5, 1}},
		{image.Rect(0, 0, 40, 30), 400, 300, Point{0.05, 0.1}},
		{image.Rect(0, 0, 40, 30), 0, 300, Point{}},
	}
	for _, tc := range tests {
		got := Anchor(tc.box, tc.w, tc.h)
		if math.Abs(got.X-tc.want.X) > 1e-9 || math.Abs(got.Y-tc.want.Y) > 1e-9 {
			t.Errorf("Anchor(%v, %d, %d) = %v, want %v", tc.box, tc.w, tc.h, got, tc.want)
		}
	}
}
