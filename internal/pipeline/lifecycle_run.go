package pipeline

import (
	"image"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/detect"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher"
)

// advanceCases sends "updated" for open cases whose object is still there
// once per update interval, and "closed" for those whose object has been
// gone for the close time. It runs after the rules on every analysed frame.
func (w *cameraWorker) advanceCases(f media.Frame, tracks []*detect.Track, inView map[uint64]bool) {
	lc := w.p.cfg.Cases
	book := w.book
	book.attach(tracks, inView, w.accepts)
	byID := map[uint64]*detect.Track{}
	for _, t := range tracks {
		byID[t.ID] = t
	}
	for _, c := range append([]*openCase(nil), book.open...) {
		counted := w.followCount(f, c)
		if t := byID[c.TrackID]; !counted && c.TrackID != 0 && t != nil && inView[t.ID] {
			c.LastSeen, c.Box, book.dirty = f.Recv, t.Box, true
		}
		if c.Warned && c.Warning != nil {
			w.advanceWarning(f, c, lc.CloseAfter)
			continue
		}
		level := w.severityAt(c, f.Recv)
		switch {
		case f.Recv.Sub(c.unseenSince()) >= lc.CloseAfter:
			c.Seq++
			w.sendLater(f, c, cases.EventClosed, nil)
			w.rememberClosed(c, f)
			book.remove(c)
		case level != c.Severity && c.LastSeen.Equal(f.Recv):
			// A new severity level is news: sent at once.
			c.Seq++
			c.Severity, c.LastEvent, book.dirty, book.lifecycle = level, f.Recv, true, true
			w.sendLater(f, c, cases.EventUpdated, []image.Rectangle{c.Box})
		case f.Recv.Sub(c.LastEvent) >= lc.UpdateInterval && c.LastSeen.Equal(f.Recv):
			c.Seq++
			w.readPlateAgain(f, c, lc.UpdateInterval)
			c.LastEvent, book.dirty, book.lifecycle = f.Recv, true, true
			w.sendLater(f, c, cases.EventUpdated, []image.Rectangle{c.Box})
		}
	}
	if err := book.save(w.p.books, w.p.shared, f.Recv); err != nil {
		w.log.Error("open cases not saved", "err", err)
	}
}

// sendLater submits an "updated" or "closed" event of an open case.
func (w *cameraWorker) sendLater(f media.Frame, c *openCase, event string, boxes []image.Rectangle) {
	zr, rr := w.ruleOf(c.ZoneID, c.RuleID)
	if rr == nil {
		return
	}
	objs := c.Objects
	if event == cases.EventUpdated && !w.isCount(c) {
		objs = w.currentObjects(f, c)
	}
	w.log.Info("case "+event, "case", c.CaseID, "seq", c.Seq, "last_seen", c.LastSeen.Format(time.RFC3339))
	pic, boxes := w.evidencePicture(f, boxes)
	w.p.deps.Publisher.Submit(publisher.Candidate{
		Rule: w.caseRule(rr.cfg), Camera: caseCamera(w.cfg), ZoneID: c.ZoneID, Zone: zr.poly,
		TrackID: c.TrackID, FirstSeen: c.FirstSeen, ConfirmedAt: c.ConfirmedAt, Objects: objs, Why: c.Why, Severity: c.Severity, Plate: c.Plate,
		Frame: pic, Boxes: boxes, Event: event, CaseID: c.CaseID, Seq: c.Seq, At: f.Recv, LastSeen: c.LastSeen,
		Warning: c.Warning,
	})
}

// currentObjects are case c's objects with its subject where it is now.
func (w *cameraWorker) currentObjects(f media.Frame, c *openCase) []cases.Object {
	objs := c.Objects
	if len(objs) == 0 {
		return objs
	}
	o := caseObject(detect.EventObject{TrackID: c.TrackID, Label: c.Label, Score: float32(objs[0].Score), Box: c.Box, Role: objs[0].Role}, f.Width, f.Height)
	o.Box = w.view.normBox(o.Box)
	return append([]cases.Object{o}, objs[1:]...)
}

// severityAt is the level of case c's rule for its dwell at now ("" when
// the rule has none).
func (w *cameraWorker) severityAt(c *openCase, now time.Time) string {
	_, rr := w.ruleOf(c.ZoneID, c.RuleID)
	if rr == nil {
		return c.Severity
	}
	return rr.cfg.SeverityAt(now.Sub(c.FirstSeen))
}

// accepts reports whether the rule of case c applies to the label of t,
// so that t may continue c.
func (w *cameraWorker) accepts(c *openCase, t *detect.Track) bool {
	_, rr := w.ruleOf(c.ZoneID, c.RuleID)
	return rr != nil && rr.labels[t.Label]
}

func (w *cameraWorker) ruleOf(zoneID, ruleID string) (*zoneRules, *ruleRunner) {
	for i := range w.zones {
		if w.zones[i].zone.ID != zoneID {
			continue
		}
		for j := range w.zones[i].rules {
			if w.zones[i].rules[j].cfg.ID == ruleID {
				return &w.zones[i], &w.zones[i].rules[j]
			}
		}
	}
	return nil, nil
}
