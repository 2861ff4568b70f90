package static

import (
	"image"
	"math"
	"time"

	"github.com/patrol-city/patrol/internal/detect"
	"github.com/patrol-city/patrol/internal/media"
)

// blob is a connected region of cells that differ from the background.
type blob struct {
	cells []int
	core  []int // the cells that differ themselves (cells is dilated)
	box   image.Rectangle
	still bool // unchanged since the previous picture
}

// blobs returns the regions of fg that may be static objects: within the
// area bounds, not mostly under people or vehicles, and not the same
// ground pattern in other light.
func (f *Finder) blobs(orig, excl []bool) []blob {
	fg := f.dilate(orig)
	seen := make([]bool, len(fg))
	cellArea := float64(f.g.cell*f.g.cell) / float64(f.g.w*f.g.h)
	var out []blob
	var stack []int
	for start := range fg {
		if !fg[start] || seen[start] {
			continue
		}
		var cells []int
		stack = append(stack[:0], start)
		seen[start] = true
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			cells = append(cells, i)
			cx, cy := i%f.g.cw, i/f.g.cw
			for _, n := range [4][2]int{{cx - 1, cy}, {cx + 1, cy}, {cx, cy - 1}, {cx, cy + 1}} {
				if n[0] < 0 || n[1] < 0 || n[0] >= f.g.cw || n[1] >= f.g.ch {
					continue
				}
				j := n[1]*f.g.cw + n[0]
				if fg[j] && !seen[j] {
					seen[j] = true
					stack = append(stack, j)
				}
			}
		}
		// The area is the core's: the ring that dilate adds is not the
		// object, and it made a far pedestrian of 1x3 cells (too small
		// for the detector to name) as large as a bag.
		c := core(cells, orig)
		a := float64(len(cells)) * cellArea
		if len(cells) < minCells || float64(len(c))*cellArea < f.cfg.MinArea || a > f.cfg.MaxArea || f.fracIn(cells, excl) >= excludedFrac {
			continue
		}
		if len(c) >= 12 && correlation(f.cur, f.bg, c) >= lightingCorr {
			continue
		}
		beyond := f.outside(cells, excl)
		if 2*len(beyond) >= len(c) {
			// A structure cut by the zone's edge (a door, a pole) that
			// changed mostly outside the zone: not something put in
			// the zone. The background takes it at once.
			for _, i := range append(beyond, cells...) {
				copy(f.bg[i*3:i*3+3], f.cur[i*3:i*3+3])
			}
			continue
		}
		if f.atFrameEdge(cells) || f.atFrameEdge(beyond) {
			// Cut by the picture's edge: only part of it is seen, too
			// little for the detector to name (a car's bumper at the
			// top of the picture), so it cannot be told from a vehicle.
			continue
		}
		out = append(out, blob{cells: cells, core: c, box: f.box(cells), still: f.still(cells)})
	}
	return out
}

// outside returns the cells outside the watched zones that differ from the
// background and join cells across the zone's edge (stopping at as many
// as cells has): the part of a changed region that lies outside the zone.
func (f *Finder) outside(cells []int, excl []bool) []int {
	seen := map[int]bool{}
	var out, stack []int
	push := func(i int) {
		cx, cy := i%f.g.cw, i/f.g.cw
		for _, n := range [4][2]int{{cx - 1, cy}, {cx + 1, cy}, {cx, cy - 1}, {cx, cy + 1}} {
			if n[0] < 0 || n[1] < 0 || n[0] >= f.g.cw || n[1] >= f.g.ch {
				continue
			}
			j := n[1]*f.g.cw + n[0]
			if f.g.inZone[j] || seen[j] || excl[j] || diff(f.cur, f.bg, j, f.k) <= f.cfg.Threshold {
				continue
			}
			seen[j] = true
			stack = append(stack, j)
		}
	}
	for _, i := range cells {
		push(i)
	}
	for len(stack) > 0 && len(out) < len(cells) {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		out = append(out, i)
		push(i)
	}
	return out
}

// atFrameEdge reports whether any of cells lies on the picture's border.
func (f *Finder) atFrameEdge(cells []int) bool {
	for _, i := range cells {
		if cx, cy := i%f.g.cw, i/f.g.cw; cx == 0 || cy == 0 || cx == f.g.cw-1 || cy == f.g.ch-1 {
			return true
		}
	}
	return false
}

// core returns the cells of a region that differ from the background
// themselves (not only through dilate).
func core(cells []int, orig []bool) []int {
	var out []int
	for _, i := range cells {
		if orig[i] {
			out = append(out, i)
		}
	}
	return out
}

// dilate grows fg by one cell in the watched zones, so that a textured
// object whose cells do not all differ from the background stays one
// region.
func (f *Finder) dilate(fg []bool) []bool {
	out := make([]bool, len(fg))
	for i, on := range fg {
		if !on {
			continue
		}
		cx, cy := i%f.g.cw, i/f.g.cw
		for y := max(cy-1, 0); y <= min(cy+1, f.g.ch-1); y++ {
			for x := max(cx-1, 0); x <= min(cx+1, f.g.cw-1); x++ {
				if j := y*f.g.cw + x; f.g.inZone[j] {
					out[j] = true
				}
			}
		}
	}
	return out
}

// fracIn is the share of cells marked in mask.
func (f *Finder) fracIn(cells []int, mask []bool) float64 {
	n := 0
	for _, i := range cells {
		if mask[i] {
			n++
		}
	}
	return float64(n) / float64(len(cells))
}

// still reports whether cells look as in the previous picture.
func (f *Finder) still(cells []int) bool {
	if len(f.prev) != len(f.cur) {
		return false
	}
	d := 0.0
	for _, i := range cells {
		for c := i * 3; c < i*3+3; c++ {
			d += math.Abs(float64(f.cur[c] - f.prev[c]))
		}
	}
	return d/float64(3*len(cells)) <= f.cfg.Threshold
}

// match continues candidates with the blobs overlapping them, starts
// candidates for new still blobs and forgets candidates missing for Forget
// pictures (a candidate under a person or vehicle is hidden, not missing).
func (f *Finder) match(blobs []blob, excl []bool, img *media.Image, now time.Time) {
	used := make([]bool, len(blobs))
	live := f.cands[:0]
	for _, c := range f.cands {
		best, bestIoU := -1, 0.3
		for k, b := range blobs {
			if iou := detect.IoU(c.track.Box, b.box); !used[k] && iou >= bestIoU {
				best, bestIoU = k, iou
			}
		}
		switch {
		case best >= 0 && blobs[best].still:
			used[best] = true
			b := blobs[best]
			t := c.track
			t.Box, t.LastSeen, t.Missed, t.Look, t.Spot = b.box, now, 0, detect.LookAt(img, b.box), detect.SpotUnknown
			t.Hits++
			c.cells, c.missed = b.cells, 0
		case best >= 0:
			used[best] = true // changing now: someone at it
			c.missed++
			c.track.Missed++
			c.track.Spot = detect.SpotChanged
		case f.fracIn(c.cells, excl) >= excludedFrac && c.track.Hits >= minHitsHidden:
			// Hidden behind a person or vehicle. A young candidate is
			// dropped instead: it may have been that person, missed by
			// the detector for a picture or two.
			c.track.Missed++
			c.track.Spot = detect.SpotHidden
		case f.fracIn(c.cells, excl) >= excludedFrac:
			c.missed = f.cfg.Forget
		default:
			c.missed++
			c.track.Missed++
			c.track.Spot = detect.SpotChanged
		}
		if c.missed < f.cfg.Forget {
			live = append(live, c)
		}
	}
	f.cands = live
	for k, b := range blobs {
		if used[k] || !b.still || f.fracIn(b.core, f.clear) < 0.5 {
			continue
		}
		if f.ghost(b.core) {
			// The background shows an object that has left: learn the
			// ground it revealed.
			for _, i := range b.cells {
				copy(f.bg[i*3:i*3+3], f.cur[i*3:i*3+3])
			}
			continue
		}
		t := &detect.Track{ID: f.nextID, Label: Label, Class: -1, Score: 1, Box: b.box,
			FirstSeen: now, LastSeen: now, Hits: 1, RestBox: b.box, RestSince: now, Still: true,
			Look: detect.LookAt(img, b.box)}
		f.nextID++
		f.cands = append(f.cands, &candidate{track: t, cells: b.cells})
	}
}

// ghost reports whether a region is a ghost: something that was there
// when the background was learned has left. An object that arrives stands
// out from the ground around it in the picture; a ghost stands out in the
// background instead, while the picture shows the same ground inside and
// around it. The edge contrast along the region's border decides.
func (f *Finder) ghost(core []int) bool {
	in := make(map[int]bool, len(core))
	for _, i := range core {
		in[i] = true
	}
	var cur, bg float64
	for _, i := range core {
		cx, cy := i%f.g.cw, i/f.g.cw
		for _, n := range [4][2]int{{cx - 1, cy}, {cx + 1, cy}, {cx, cy - 1}, {cx, cy + 1}} {
			if n[0] < 0 || n[1] < 0 || n[0] >= f.g.cw || n[1] >= f.g.ch {
				continue
			}
			j := n[1]*f.g.cw + n[0]
			if in[j] || !f.g.inZone[j] {
				continue
			}
			cur += math.Abs(luma(f.cur, i) - luma(f.cur, j))
			bg += math.Abs(luma(f.bg, i) - luma(f.bg, j))
		}
	}
	return bg > cur
}
