package pipeline

import (
	"image"
	"testing"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/media"
)

func TestZoneView(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		zones [][][]float64
		on    bool
		want  view
	}{
		{"kerb quarter", [][][]float64{{{0.5, 0.7}, {0.9, 0.7}, {0.9, 0.9}, {0.5, 0.9}}}, true, view{on: true, x: 0.45, y: 0.5, w: 0.5, h: 0.45}},
		{"full-width strip: no gain", [][][]float64{{{0.02, 0.7}, {0.98, 0.7}, {0.98, 0.9}}}, false, view{}},
		{"most of the frame", [][][]float64{{{0.05, 0.1}, {0.95, 0.1}, {0.95, 0.95}}}, false, view{}},
		{"two zones", [][][]float64{{{0.1, 0.7}, {0.2, 0.7}, {0.2, 0.8}}, {{0.3, 0.75}, {0.4, 0.75}, {0.4, 0.9}}}, true, view{on: true, x: 0.05, y: 0.5, w: 0.4, h: 0.45}},
		{"no zones", nil, false, view{}},
	} {
		var zs []config.Zone
		for _, p := range tc.zones {
			zs = append(zs, config.Zone{Polygon: p})
		}
		got := zoneView(zs)
		if got.on != tc.on || tc.on && (abs(got.x-tc.want.x) > 1e-9 || abs(got.y-tc.want.y) > 1e-9 || abs(got.w-tc.want.w) > 1e-9 || abs(got.h-tc.want.h) > 1e-9) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// TestViewRoundTrip: a box found in the crop maps back to the frame where
// the same pixels are, and a zone point maps into the crop and back.
func TestViewRoundTrip(t *testing.T) {
	t.Parallel()
	v := view{on: true, x: 0.25, y: 0.5, w: 0.5, h: 0.5}
	if got := v.analysisSize(416); got != 832 {
		t.Errorf("analysis size %d, want 832 (twice: the crop is half the frame)", got)
	}
	// An 832x468 decoded picture with one marked pixel at (500, 300).
	f := media.Frame{Image: media.Image{Width: 832, Height: 468, BGR: make([]byte, 832*468*3)}}
	f.BGR[(300*832+500)*3] = 255
	c := v.frame(f)
	r := v.pixels(832, 468)
	if c.Width != r.Dx() || c.Height != r.Dy() || c.BGR[((300-r.Min.Y)*c.Width+500-r.Min.X)*3] != 255 {
		t.Fatalf("crop %dx%d of %v lost the marked pixel", c.Width, c.Height, r)
	}
	// The marked pixel's box in the crop maps to (500, 300) in the
	// decoded picture and to (1154, 692) in a 1920x1080 one.
	b := image.Rect(500-r.Min.X, 300-r.Min.Y, 501-r.Min.X, 301-r.Min.Y)
	if got := v.toFrame(b, c.Width, c.Height, 832, 468); got.Min != image.Pt(500, 300) {
		t.Errorf("toFrame %v, want at (500, 300)", got)
	}
	if got := v.toFrame(b, c.Width, c.Height, 1920, 1080); abs(float64(got.Min.X)-1154) > 2 || abs(float64(got.Min.Y)-692) > 2 {
		t.Errorf("toFrame at 1080p %v, want about (1154, 692)", got)
	}
	p := v.into([]float64{0.5, 0.75})
	if abs(p[0]-0.5) > 1e-9 || abs(p[1]-0.5) > 1e-9 {
		t.Errorf("into %v, want the crop's centre", p)
	}
	if n := v.normBox([4]float64{0.5, 0.5, 0.5, 0.5}); n != [4]float64{0.5, 0.75, 0.25, 0.25} {
		t.Errorf("normBox %v", n)
	}
	if off := (view{}); off.frame(f).Width != 832 || off.analysisSize(416) != 416 {
		t.Error("the whole-frame view changed the picture")
	}
}
