package pipeline

import (
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/detect"
	"github.com/patrol-city/patrol/internal/media"
)

// Vending from a vehicle (车载贩卖) against parking (docs/categories.md):
// a van or tricycle at rest with people selling at it is one 0501 case,
// not also a 0505 case for the vehicle. The vending case wins: the
// vehicle is the stall of a trade, and the trade is what the city acts on
// (moving the van on ends both). A gathering rule of the camera that sees
// a vehicle at rest with people settled at it (detect.Gathering.NearStall)
// holds back that vehicle's stationary event until the group fires: if the
// vending case takes the vehicle as a stall object the parking event is
// dropped; if the people leave, or the gathering has not fired within its
// min_dwell, the parking case opens then (confirmed_at then, first_seen
// and the dwell the rule's), late by that wait. A parking
// case already open when people start selling at the vehicle stays open.

// heldEvent is a stationary event held back while its object may become
// the stall of a vending case.
type heldEvent struct {
	zr    zoneRules
	rr    ruleRunner
	ev    detect.Event
	since time.Time
}

// submitOrHold opens the case of a rule event; on a camera with a
// gathering rule, a stationary event waits for releaseHeld, after every
// rule has seen the picture.
func (w *cameraWorker) submitOrHold(f media.Frame, zr zoneRules, rr ruleRunner, ev detect.Event, det ObjectDetector) {
	if ev.Kind == detect.KindStationary && w.vendingWait() > 0 {
		w.held = append(w.held, heldEvent{zr: zr, rr: rr, ev: ev, since: f.Recv})
		return
	}
	w.submit(f, zr, rr, ev, det)
}

// releaseHeld decides the held events after the rules ran on a picture:
// dropped when a vending case is open with the object as a stall; held
// while a gathering sees people settled at it, up to the longest
// gathering min_dwell; else opened.
func (w *cameraWorker) releaseHeld(f media.Frame, inView map[uint64]bool, det ObjectDetector) {
	if len(w.held) == 0 {
		return
	}
	keep := w.held[:0]
	for _, h := range w.held {
		switch c := w.vendingCaseOf(h.ev.TrackID); {
		case c != nil:
			w.log.Info("no parking case: its object is the stall of a vending case", "rule", h.rr.cfg.ID, "track", h.ev.TrackID, "case", c.CaseID)
		case w.nearVending(h.ev.TrackID) && f.Recv.Sub(h.since) < w.vendingWait():
			if h.since.Equal(f.Recv) {
				w.log.Info("parking case held: people are settled at the object", "rule", h.rr.cfg.ID, "track", h.ev.TrackID)
			}
			keep = append(keep, h)
		default:
			if c := w.book.find(h.ev, inView); c != nil {
				c.continueWith(h.ev.TrackID) // as process does
				w.book.dirty = true
				continue
			}
			// Confirmed now: the case's alarm comes when it opens.
			h.ev.ConfirmedAt = f.Recv
			w.submit(f, h.zr, h.rr, h.ev, det)
		}
	}
	w.held = keep
}

// gatherings calls fn with each gathering rule of the camera.
func (w *cameraWorker) gatherings(fn func(g *detect.Gathering)) {
	for _, zr := range w.zones {
		for _, rr := range zr.rules {
			if g, ok := rr.impl.(*detect.Gathering); ok && rr.cfg.Kind == config.KindGathering {
				fn(g)
			}
		}
	}
}

// nearVending reports whether a gathering rule sees track id as a stall
// object with people settled at it.
func (w *cameraWorker) nearVending(id uint64) bool {
	near := false
	w.gatherings(func(g *detect.Gathering) { near = near || g.NearStall(id) })
	return near
}

// vendingWait is the longest min_dwell of the camera's gathering rules.
func (w *cameraWorker) vendingWait() time.Duration {
	var d time.Duration
	w.gatherings(func(g *detect.Gathering) { d = max(d, g.WaitFor()) })
	return d
}

// vendingCaseOf returns the open gathering case (of this worker's tracks,
// not one resumed from a book, whose track ids are another process's)
// that has track id among its stall objects, or nil.
func (w *cameraWorker) vendingCaseOf(id uint64) *openCase {
	for _, c := range w.book.open {
		if !c.resumed.IsZero() {
			continue
		}
		if _, rr := w.ruleOf(c.ZoneID, c.RuleID); rr == nil || rr.cfg.Kind != config.KindGathering {
			continue
		}
		for _, o := range c.Objects {
			if o.Role == detect.RoleStall && o.TrackID == id {
				return c
			}
		}
	}
	return nil
}
