package pipeline

import (
	"image"

	"github.com/patrol-city/patrol/internal/detect"
)

// vehicle labels are compatible for nesting: a truck's cab seen as a "car"
// inside the truck's own box is the same object.
var sameKind = map[string]string{"car": "vehicle", "truck": "vehicle", "bus": "vehicle", "motorcycle": "motorcycle"}

// dropNested removes detections that lie mostly (by default 80 % of their
// area) inside a larger detection of the same kind: YOLOX often reports a
// part of a vehicle (a pickup's camper shell, a bus's front) as a second
// vehicle, which would become a second track and a second case for one
// object.
func dropNested(dets []detect.Detection, frac float64) []detect.Detection {
	kind := func(l string) string {
		if k, ok := sameKind[l]; ok {
			return k
		}
		return l
	}
	out := dets[:0:0]
	for i, d := range dets {
		nested := false
		for j, o := range dets {
			if i == j || kind(o.Label) != kind(d.Label) || area(o.Box) <= area(d.Box) {
				continue
			}
			if float64(area(d.Box.Intersect(o.Box))) >= frac*float64(area(d.Box)) {
				nested = true
				break
			}
		}
		if !nested {
			out = append(out, d)
		}
	}
	return out
}

func area(r image.Rectangle) int {
	if r.Empty() {
		return 0
	}
	return r.Dx() * r.Dy()
}
