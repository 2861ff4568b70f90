package detect

import "image"

// IoU returns the intersection over union of two rectangles, in [0,1]
// (0 when either is empty).
func IoU(a, b image.Rectangle) float64 {
	inter := a.Intersect(b)
	if inter.Empty() {
		return 0
	}
	ia := float64(inter.Dx()) * float64(inter.Dy())
	ua := float64(a.Dx())*float64(a.Dy()) + float64(b.Dx())*float64(b.Dy()) - ia
	if ua <= 0 {
		return 0
	}
	return ia / ua
}
