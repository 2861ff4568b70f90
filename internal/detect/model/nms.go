package model

import (
	"sort"
)

// candidate is a decoded box before non-maximum suppression, in float
// frame coordinates.
type candidate struct {
	class          int
	score          float32
	x1, y1, x2, y2 float64
}

func (c candidate) area() float64 { return (c.x2 - c.x1) * (c.y2 - c.y1) }

// iouF is the intersection over union of two float boxes.
func iouF(a, b candidate) float64 {
	iw := min(a.x2, b.x2) - max(a.x1, b.x1)
	ih := min(a.y2, b.y2) - max(a.y1, b.y1)
	if iw <= 0 || ih <= 0 {
		return 0
	}
	inter := iw * ih
	union := a.area() + b.area() - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}

// nms is class-aware greedy non-maximum suppression: candidates are visited
// by descending score and a candidate is dropped when its detect.IoU with an
// already kept candidate of the same class exceeds thr. The result is
// sorted by descending score.
func nms(cands []candidate, thr float64) []candidate {
	sorted := make([]candidate, len(cands))
	copy(sorted, cands)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].score > sorted[j].score })
	var kept []candidate
	for _, c := range sorted {
		keep := true
		for _, k := range kept {
			if k.class == c.class && iouF(k, c) > thr {
				keep = false
				break
			}
		}
		if keep {
			kept = append(kept, c)
		}
	}
	return kept
}
