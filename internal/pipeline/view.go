package pipeline

import (
	"image"
	"math"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/media"
)

// Zone-cropped detection (model.zone_crop): the detector sees the
// rectangle around a camera's zones instead of the whole frame, so that
// objects in the zones get up to twice the pixels at no extra inference.
// The analysed pictures are decoded larger and cropped to that rectangle;
// from there on the crop is the camera's picture (tracker, motion gate,
// static finder, rules, with the zones and masks mapped into it), and
// boxes go back to frame coordinates where they leave the analysis (the
// case's objects, the evidence, the plate).

// Zone crop settings.
const (
	// cropMargin widens the zones' bounding box on each side, as a share
	// of the frame.
	cropMargin = 0.05
	// cropMaxArea: when the widened box covers more of the frame than
	// this, the whole frame is analysed.
	cropMaxArea = 0.6
	// cropMinGain: a crop that would enlarge the picture less than this
	// is not worth it (it only cuts the frame); the whole frame is
	// analysed.
	cropMinGain = 1.25
	// cropMaxGain bounds the enlargement: the decoder delivers at most
	// cropMaxGain times the analysis size.
	cropMaxGain = 2.0
)

// view is the part of the frame a camera analyses: the whole frame (the
// zero value) or the crop around its zones, in normalized coordinates.
type view struct {
	on         bool
	x, y, w, h float64
}

// zoneView returns the crop around the zones: their bounding box widened
// by cropMargin and raised by its own height; the whole frame when that
// covers more than cropMaxArea of it or gains less than cropMinGain.
func zoneView(zones []config.Zone) view {
	x0, y0, x1, y1 := 1.0, 1.0, 0.0, 0.0
	for _, z := range zones {
		for _, p := range z.Polygon {
			x0, y0, x1, y1 = math.Min(x0, p[0]), math.Min(y0, p[1]), math.Max(x1, p[0]), math.Max(y1, p[1])
		}
	}
	if x1 <= x0 || y1 <= y0 {
		return view{}
	}
	// Objects stand in a zone and rise above it (a zone holds their
	// bottom centre): the crop reaches up by the zones' height too.
	x0, y0 = math.Max(0, x0-cropMargin), math.Max(0, y0-math.Max(cropMargin, y1-y0))
	x1, y1 = math.Min(1, x1+cropMargin), math.Min(1, y1+cropMargin)
	if (x1-x0)*(y1-y0) > cropMaxArea || 1/math.Max(x1-x0, y1-y0) < cropMinGain {
		return view{}
	}
	return view{on: true, x: x0, y: y0, w: x1 - x0, h: y1 - y0}
}

// analysisSize is the size the decoder scales analysed pictures into:
// larger by the crop's gain (at most cropMaxGain), so that the crop comes
// out at about the detector's input size.
func (v view) analysisSize(base int) int {
	if !v.on {
		return base
	}
	gain := math.Min(cropMaxGain, 1/math.Max(v.w, v.h))
	return int(math.Ceil(float64(base) * gain))
}

// pixels is the crop in a w x h picture (at least 8x8 pixels).
func (v view) pixels(w, h int) image.Rectangle {
	r := image.Rect(int(v.x*float64(w)), int(v.y*float64(h)), int(math.Ceil((v.x+v.w)*float64(w))), int(math.Ceil((v.y+v.h)*float64(h))))
	return r.Intersect(image.Rect(0, 0, w, h))
}

// frame crops a decoded picture to the view (the picture itself when
// the view is the whole frame or the picture too small).
func (v view) frame(f media.Frame) media.Frame {
	if !v.on {
		return f
	}
	r := v.pixels(f.Width, f.Height)
	if r.Dx() < 8 || r.Dy() < 8 || len(f.BGR) != f.Width*f.Height*3 {
		return f
	}
	out := f
	out.Image = f.Crop(r)
	return out
}

// into maps a point in frame coordinates into the view's (both
// normalized); points outside the view fall outside 0..1.
func (v view) into(p []float64) []float64 {
	if !v.on || len(p) < 2 {
		return p
	}
	return []float64{(p[0] - v.x) / v.w, (p[1] - v.y) / v.h}
}

// polygons maps polygons (a rule's masks) into the view, as new slices.
func (v view) polygons(ps [][][]float64) [][][]float64 {
	if ps == nil {
		return nil
	}
	out := make([][][]float64, len(ps))
	for i, p := range ps {
		out[i] = v.polygon(p)
	}
	return out
}

// polygon maps a polygon into the view.
func (v view) polygon(poly [][]float64) [][]float64 {
	out := make([][]float64, len(poly))
	for i, p := range poly {
		out[i] = v.into(p)
	}
	return out
}

// toFrame maps a box of the analysed picture (fw x fh pixels) to a
// picture of the whole frame of pw x ph pixels.
func (v view) toFrame(b image.Rectangle, fw, fh, pw, ph int) image.Rectangle {
	ox, oy, sx, sy := 0.0, 0.0, float64(pw)/float64(fw), float64(ph)/float64(fh)
	if v.on {
		ox, oy = v.x*float64(pw), v.y*float64(ph)
		sx, sy = v.w*float64(pw)/float64(fw), v.h*float64(ph)/float64(fh)
	}
	return image.Rect(int(ox+float64(b.Min.X)*sx+0.5), int(oy+float64(b.Min.Y)*sy+0.5),
		int(ox+float64(b.Max.X)*sx+0.5), int(oy+float64(b.Max.Y)*sy+0.5)).Intersect(image.Rect(0, 0, pw, ph))
}

// normBox maps a normalized [x, y, w, h] box of the view to the frame.
func (v view) normBox(b [4]float64) [4]float64 {
	if !v.on {
		return b
	}
	return [4]float64{round3(v.x + b[0]*v.w), round3(v.y + b[1]*v.h), round3(b[2] * v.w), round3(b[3] * v.h)}
}
