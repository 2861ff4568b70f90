package face

import (
	"image"
	"math"
	"sort"
)

// contained is the share of a box's area inside a better box above which
// the two are one face (a face cut by a tile's edge, seen whole by a
// neighbouring tile or the whole-picture pass): the better box grows to
// cover both.
const contained = 0.7

// candidate is a decoded face before suppression, in the picture's float
// pixels.
type candidate struct {
	score          float64
	x1, y1, x2, y2 float64
	kps            [10]float64
}

func (c candidate) area() float64 { return (c.x2 - c.x1) * (c.y2 - c.y1) }

// tile is where a model input came from: its top-left corner and size in
// the scaled picture, and the scale from picture to scaled picture.
type tile struct {
	x0, y0, w, h int
	sx, sy       float64
}

// scaled is a side of n pixels scaled by s, at least 1.
func scaled(n int, s float64) int { return max(1, int(math.Round(float64(n)*s))) }

// grid returns the tiles' offsets along a scaled side of n pixels: one
// tile when it fits, else the fewest 640-pixel tiles, evenly spread, that
// overlap by at least overlap pixels.
func grid(n int) []int {
	if n <= Side {
		return []int{0}
	}
	k := (n-Side+Side-overlap-1)/(Side-overlap) + 1
	out := make([]int, k)
	for i := range out {
		out[i] = int(math.Round(float64(i) * float64(n-Side) / float64(k-1)))
	}
	return out
}

// tiles is the number of tiles of a w x h picture scaled by s.
func tiles(w, h int, s float64) int { return len(grid(scaled(w, s))) * len(grid(scaled(h, s))) }

// tileScale is the largest scale up to want at which the picture needs at
// most maxTiles tiles.
func tileScale(w, h int, want float64, maxTiles int) float64 {
	s := want
	for tiles(w, h, s) > maxTiles {
		s *= 0.95
	}
	return s
}

// decode appends the faces of the last run on tile t scoring at least the
// detector's MinScore. Cells beyond the tile (the zero padding) are
// skipped.
func (d *Detector) decode(out []candidate, t tile) []candidate {
	for i, s := range strides {
		cols := Side / s
		cls, obj := d.cls[i].GetData(), d.obj[i].GetData()
		box, kps := d.box[i].GetData(), d.kps[i].GetData()
		for idx := range cls {
			r, c := idx/cols, idx%cols
			if c*s >= t.w || r*s >= t.h {
				continue
			}
			score := math.Sqrt(clamp01(cls[idx]) * clamp01(obj[idx]))
			if !(score >= d.cfg.MinScore) { // NaN too
				continue
			}
			b := box[4*idx : 4*idx+4]
			cx, cy := (float64(c)+float64(b[0]))*float64(s), (float64(r)+float64(b[1]))*float64(s)
			bw, bh := math.Exp(float64(b[2]))*float64(s), math.Exp(float64(b[3]))*float64(s)
			f := candidate{
				score: score,
				x1:    (float64(t.x0) + cx - bw/2) / t.sx, y1: (float64(t.y0) + cy - bh/2) / t.sy,
				x2: (float64(t.x0) + cx + bw/2) / t.sx, y2: (float64(t.y0) + cy + bh/2) / t.sy,
			}
			for j := range 5 {
				f.kps[2*j] = (float64(t.x0) + (float64(kps[10*idx+2*j])+float64(c))*float64(s)) / t.sx
				f.kps[2*j+1] = (float64(t.y0) + (float64(kps[10*idx+2*j+1])+float64(r))*float64(s)) / t.sy
			}
			if f.x2 > f.x1 && f.y2 > f.y1 { // false for NaN
				out = append(out, f)
			}
		}
	}
	return out
}

func clamp01(v float32) float64 { return clamp(float64(v), 0, 1) }

// clamp limits v to [lo, hi]; NaN becomes lo.
func clamp(v, lo, hi float64) float64 {
	if !(v >= lo) {
		return lo
	}
	return math.Min(v, hi)
}

// merge is greedy non-maximum suppression by descending score: a candidate
// overlapping a kept one by more than nmsIoU is dropped; one lying mostly
// inside a kept one (or holding it) is dropped and the kept box grows to
// cover both.
func merge(cands []candidate) []candidate {
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	var kept []candidate
next:
	for _, c := range cands {
		for i := range kept {
			k := &kept[i]
			iw := min(k.x2, c.x2) - max(k.x1, c.x1)
			ih := min(k.y2, c.y2) - max(k.y1, c.y1)
			if iw <= 0 || ih <= 0 {
				continue
			}
			inter := iw * ih
			if inter/(k.area()+c.area()-inter) > nmsIoU {
				continue next
			}
			if inter/min(k.area(), c.area()) >= contained {
				k.x1, k.y1 = min(k.x1, c.x1), min(k.y1, c.y1)
				k.x2, k.y2 = max(k.x2, c.x2), max(k.y2, c.y2)
				continue next
			}
		}
		kept = append(kept, c)
	}
	return kept
}

// finish turns candidates into faces of a w x h picture: boxes rounded
// outwards and clipped, empty ones dropped.
func finish(cands []candidate, w, h int) []Face {
	fw, fh := float64(w), float64(h)
	faces := make([]Face, 0, len(cands))
	for _, c := range cands {
		r := image.Rect(int(math.Floor(clamp(c.x1, 0, fw))), int(math.Floor(clamp(c.y1, 0, fh))),
			int(math.Ceil(clamp(c.x2, 0, fw))), int(math.Ceil(clamp(c.y2, 0, fh))))
		if r.Empty() {
			continue
		}
		f := Face{Box: r, Score: c.score}
		for j := range f.Landmarks {
			f.Landmarks[j] = image.Pt(int(math.Round(clamp(c.kps[2*j], -fw, 2*fw))), int(math.Round(clamp(c.kps[2*j+1], -fh, 2*fh))))
		}
		faces = append(faces, f)
	}
	return faces
}
