package detect

import (
	"slices"
	"time"

	"github.com/patrol-city/patrol/internal/media"
)

// coveredFrac is the share of a lost track's box that another object seen
// now must cover for the place to count as hidden, not in plain view.
const coveredFrac = 0.4

// See completes Update with the picture the detections came from (img, taken
// at now): the tracks matched at now get their Look, and a Still track
// missed at now whose place is in plain view (no object seen now covers it)
// but no longer looks like the object (Look.Match below LookMatch) twice in
// a row is dropped. The object left: the next object to stop there (the
// next car of a queue at a light) starts a track of its own instead of
// inheriting this one's rest, while a parked car that the detector misses
// for a moment (a score dip) or that a bus hides keeps its track. It
// returns the live tracks sorted by ID.
func (t *Tracker) See(img *media.Image, now time.Time) []*Track {
	if img == nil {
		return slices.Clone(t.tracks)
	}
	var seen []*Track
	for _, tr := range t.tracks {
		if tr.LastSeen.Equal(now) && tr.Missed == 0 {
			tr.Look, tr.gone = LookAt(img, tr.Box), 0
			seen = append(seen, tr)
		}
	}
	live := t.tracks[:0]
	for _, tr := range t.tracks {
		tr.Spot = SpotUnknown
		switch {
		case tr.Missed == 0 || !tr.Still || !tr.Look.Known():
		case covered(tr, seen):
			tr.Spot = SpotHidden
		case tr.Look.Match(LookAt(img, tr.Box)) < t.cfg.LookMatch:
			tr.Spot = SpotChanged
			tr.gone++
		default:
			tr.Spot = SpotSame
			tr.gone = 0
		}
		if tr.gone >= awayToMove {
			continue
		}
		live = append(live, tr)
	}
	clear(t.tracks[len(live):])
	t.tracks = live
	return slices.Clone(t.tracks)
}

// covered reports whether objects in seen hide part of tr's box.
func covered(tr *Track, seen []*Track) bool {
	a := area(tr.Box)
	if a == 0 {
		return true
	}
	for _, o := range seen {
		if area(o.Box.Intersect(tr.Box))/a >= coveredFrac {
			return true
		}
	}
	return false
}

// SpotState is what See found at the place of a Still track that the
// detector missed in the latest picture.
type SpotState int

// Spot states.
const (
	// SpotUnknown: not checked (the track was matched, is not Still, or no
	// picture was given).
	SpotUnknown SpotState = iota
	// SpotHidden: another object seen in the picture covers the place.
	SpotHidden
	// SpotSame: the place in plain view still looks like the object (the
	// detector missed it: a score dip).
	SpotSame
	// SpotChanged: the place in plain view no longer looks like it.
	SpotChanged
)
