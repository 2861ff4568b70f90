package static

import (
	"image"
	"math"
	"time"

	"github.com/patrol-city/patrol/internal/detect"
	"github.com/patrol-city/patrol/internal/media"
)

// idBase separates static object track ids from the detector tracker's
// (which count from 1); it stays exact in a JSON number of any consumer.
const idBase = 1 << 40

// Background learning rates per picture: where the scene shows nothing
// new (following slow light changes), where it shows something that is
// not a static object (noise, too small or too large), and after a change
// of light.
const (
	learnEmpty = 0.05
	learnNear  = 0.005
	learnOther = 0.02
	learnLight = 0.5
	// exposureStep is the change of the picture's exposure against the
	// background (as a ratio) from which the background is rescaled at
	// once rather than learned (rescale).
	exposureStep = 0.08
	// saturated is the cell level from which some of its pixels may be
	// clipped (at 255), so that its mean does not scale with the exposure.
	saturated    = 200
	excludedFrac = 0.3  // share of a region under people/vehicles that makes it theirs
	lightingCorr = 0.92 // correlation with the background: the same ground in other light
	minCells     = 2
	// minHitsHidden is how many pictures must have seen a candidate alone
	// before a person or vehicle over it hides it rather than replaces it.
	minHitsHidden = 3
)

// candidate is a region that differs from the background and stays.
type candidate struct {
	track  *detect.Track
	cells  []int
	missed int
}

// Finder finds static objects in a camera's pictures. It is not safe for
// concurrent use.
type Finder struct {
	cfg     Config
	exclude map[string]bool
	g       *grid
	bg      cellMeans
	cur     cellMeans
	prev    cellMeans
	n       int         // pictures seen at this size
	covered []time.Time // per cell: since when an excluded object covers it
	// clear marks the cells seen matching the background since the
	// background settled: an object must arrive on clear cells, so that a
	// region that differs from the start (a car that was passing while the
	// background was first learned: a ghost) is never taken for one.
	clear  []bool
	cands  []*candidate
	nextID uint64
	k      float32   // exposure of the picture against the background
	ratios []float64 // scratch for gain
}

// New validates cfg and returns a Finder.
func New(cfg Config) (*Finder, error) {
	cfg.applyDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	f := &Finder{cfg: cfg, exclude: map[string]bool{}, nextID: idBase}
	for _, l := range cfg.Exclude {
		f.exclude[l] = true
	}
	return f, nil
}

// Update analyses one picture taken at now, with the detector's tracks of
// the same picture, and returns the static objects found so far as tracks
// labelled Label (owned by the Finder; do not modify): Still, scored 1,
// with LastSeen = now when the object was seen in this picture. A
// picture of another size restarts the background.
func (f *Finder) Update(img *media.Image, tracks []*detect.Track, now time.Time) []*detect.Track {
	if img == nil || img.Width < f.cfg.Cell || img.Height < f.cfg.Cell || len(img.BGR) < img.Width*img.Height*3 {
		return f.tracks()
	}
	if f.g == nil || f.g.w != img.Width || f.g.h != img.Height {
		f.g = newGrid(img.Width, img.Height, f.cfg.Cell, f.cfg.Zones)
		f.n, f.cands, f.covered = 0, nil, make([]time.Time, f.g.cw*f.g.ch)
		f.clear = make([]bool, f.g.cw*f.g.ch)
	}
	f.cur = f.g.means(img, f.cur)
	defer func() { f.prev, f.cur = f.cur, f.prev }()
	if f.n == 0 {
		f.bg = append(f.bg[:0], f.cur...)
	}
	if f.n++; f.n <= f.cfg.Settle {
		f.learnAll(0.5, nil)
		return nil
	}
	excl := f.excluded(tracks, now)
	f.k, f.ratios = f.g.gain(f.cur, f.bg, excl, f.ratios)
	if math.Abs(float64(f.k)-1) > exposureStep {
		f.rescale(excl)
	}
	fg := make([]bool, len(f.g.inZone))
	nfg, nzone := 0, 0
	for i, in := range f.g.inZone {
		if !in {
			continue
		}
		nzone++
		switch {
		case diff(f.cur, f.bg, i, f.k) > f.cfg.Threshold:
			fg[i] = true
			nfg++
		case !excl[i]:
			f.clear[i] = true
		}
	}
	if float64(nfg) > f.cfg.LightingFrac*float64(nzone) {
		f.learnAll(learnLight, excl)
		return f.tracks()
	}
	blobs := f.blobs(fg, excl)
	f.match(blobs, excl, img, now)
	f.learn(fg, excl)
	return f.tracks()
}

// tracks returns the candidates' tracks.
func (f *Finder) tracks() []*detect.Track {
	out := make([]*detect.Track, 0, len(f.cands))
	for _, c := range f.cands {
		out = append(out, c.track)
	}
	return out
}

// recentSlack widens Recent for a live camera's arrival jitter: a
// picture sampled Recent after the last sighting (2 s: two pictures on a
// 1 s grid) counts as recent whether it arrived a few milliseconds early
// or late, as on a recording's exact clock (patrol replay). Without it
// the same footage found a left object a picture earlier or later
// depending on the machine's load.
const recentSlack = 250 * time.Millisecond

// excluded marks the cells under people and vehicles seen within Recent,
// and learns afresh the cells that such an object covered for RevealAfter
// and has just left.
func (f *Finder) excluded(tracks []*detect.Track, now time.Time) []bool {
	excl := make([]bool, len(f.g.inZone))
	for _, t := range tracks {
		if !f.exclude[t.Label] || now.Sub(t.LastSeen) > f.cfg.Recent+recentSlack {
			continue
		}
		b := t.Box.Inset(-max(t.Box.Dx(), t.Box.Dy()) / 10)
		x0, y0 := max(b.Min.X/f.g.cell, 0), max(b.Min.Y/f.g.cell, 0)
		x1, y1 := min((b.Max.X+f.g.cell-1)/f.g.cell, f.g.cw), min((b.Max.Y+f.g.cell-1)/f.g.cell, f.g.ch)
		for cy := y0; cy < y1; cy++ {
			for cx := x0; cx < x1; cx++ {
				excl[cy*f.g.cw+cx] = true
			}
		}
	}
	for i, e := range excl {
		switch {
		case e && f.covered[i].IsZero():
			f.covered[i] = now
		case !e && !f.covered[i].IsZero():
			if now.Sub(f.covered[i]) >= f.cfg.RevealAfter {
				copy(f.bg[i*3:i*3+3], f.cur[i*3:i*3+3])
			}
			f.covered[i] = time.Time{}
		}
	}
	return excl
}

// rescale follows a sudden exposure step (the camera's auto-exposure as a
// large vehicle leaves, a cloud, street lights) at once: the background
// takes the picture's exposure k, so that what is new in the picture
// stays new, instead of being learned away with the light. A cell whose
// background was saturated cannot be scaled down (its true level is
// unknown): it takes the picture's value, unless a person or vehicle
// covers it.
func (f *Finder) rescale(excl []bool) {
	for i := range f.g.inZone {
		j := i * 3
		sat := max(f.bg[j], f.bg[j+1], f.bg[j+2]) >= saturated
		if sat && f.k < 1 && !excl[i] {
			copy(f.bg[j:j+3], f.cur[j:j+3])
			continue
		}
		for c := j; c < j+3; c++ {
			f.bg[c] = min(f.bg[c]*f.k, 255)
		}
	}
	f.k = 1
}

// learnAll moves the background towards the picture by rate, except
// under people and vehicles (excl, nil for none): the ground they hide,
// and anything left there, is compared when they leave.
func (f *Finder) learnAll(rate float32, excl []bool) {
	for i := range f.bg {
		if len(excl) > i/3 && excl[i/3] {
			continue
		}
		f.bg[i] += rate * (f.cur[i] - f.bg[i])
	}
}

// learn updates the background where the picture shows nothing new, and
// slowly where it shows something that is neither a static object nor
// under a person or vehicle.
func (f *Finder) learn(fg, excl []bool) {
	frozen := make([]bool, len(fg))
	for _, c := range f.cands {
		for _, i := range c.cells {
			frozen[i] = true
		}
	}
	follow := 1 + learnEmpty*(f.k-1) // frozen cells follow the light
	for i := range fg {
		rate := float32(learnEmpty)
		switch {
		case frozen[i] || excl[i]:
			for c := i * 3; c < i*3+3; c++ {
				f.bg[c] *= follow
			}
			continue
		case fg[i] || (!f.g.inZone[i] && diff(f.cur, f.bg, i, f.k) > f.cfg.Threshold):
			// What differs outside the zones is learned no faster than
			// inside, so that a structure cut by a zone's edge stays
			// whole (outside).
			rate = learnOther
		case diff(f.cur, f.bg, i, f.k) > f.cfg.Threshold/2:
			rate = learnNear // a faint object is not learned away quickly
		}
		for c := i * 3; c < i*3+3; c++ {
			f.bg[c] += rate * (f.cur[c] - f.bg[c])
		}
	}
}

// box is the pixel rectangle of cells.
func (f *Finder) box(cells []int) image.Rectangle {
	var r image.Rectangle
	for k, i := range cells {
		cx, cy := i%f.g.cw, i/f.g.cw
		c := image.Rect(cx*f.g.cell, cy*f.g.cell, min((cx+1)*f.g.cell, f.g.w), min((cy+1)*f.g.cell, f.g.h))
		if k == 0 {
			r = c
		} else {
			r = r.Union(c)
		}
	}
	return r
}
