package pipeline

import (
	"image"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/detect"
	"github.com/patrol-city/patrol/internal/media"
)

// countNewsEvery bounds how often a count case sends "updated" because its
// count changed (a group growing bicycle by bicycle sends one a minute at
// most); the regular update interval still applies.
const countNewsEvery = time.Minute

// followCount follows an open case of a count rule by its group as the
// rule sees it now (detect.Gathering.Resting), not by one member track:
// while at least min_count objects are at rest in the zone the case is
// seen, its box is their union, its objects are them and its explanation
// carries their count and the group's dwell; when the count changed, an
// "updated" is sent at once (at most every countNewsEvery). Below
// min_count the case is not seen, so it closes after cases.close_after
// unless the group grows back. It reports whether c is a count case.
func (w *cameraWorker) followCount(f media.Frame, c *openCase) bool {
	_, rr := w.ruleOf(c.ZoneID, c.RuleID)
	if rr == nil || rr.cfg.Kind != config.KindCount {
		return false
	}
	g, ok := rr.impl.(*detect.Gathering)
	if !ok {
		return false
	}
	members := g.Resting()
	if len(members) < g.MinMembers() {
		return true
	}
	var box image.Rectangle
	objs := make([]cases.Object, 0, len(members))
	boxes := make([]image.Rectangle, 0, len(members))
	for _, m := range members {
		box = box.Union(m.Box)
		o := caseObject(m, f.Width, f.Height)
		o.Box = w.view.normBox(o.Box)
		objs = append(objs, o)
		boxes = append(boxes, m.Box)
	}
	changed := c.Why != nil && c.Why.Count != len(members)
	c.TrackID, c.Label, c.Box, c.Objects, c.LastSeen = members[0].TrackID, members[0].Label, box, objs, f.Recv
	if c.Why != nil {
		// A copy: the events already submitted share the old one.
		why := *c.Why
		why.Count, why.DwellS = len(members), f.Recv.Sub(c.FirstSeen).Round(time.Second).Seconds()
		c.Why = &why
	}
	w.book.dirty = true
	if changed && f.Recv.Sub(c.LastEvent) >= countNewsEvery {
		c.Seq++
		c.LastEvent, w.book.lifecycle = f.Recv, true
		w.sendLater(f, c, cases.EventUpdated, boxes)
	}
	return true
}

// isCount reports whether c is a case of a count rule, whose objects are
// the group's members (followCount) rather than one subject.
func (w *cameraWorker) isCount(c *openCase) bool {
	_, rr := w.ruleOf(c.ZoneID, c.RuleID)
	return rr != nil && rr.cfg.Kind == config.KindCount
}
