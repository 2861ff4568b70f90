package pipeline

import (
	"image"
	"sync"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher"
)

// A rule with a correction window (限时自行整改, config Rule.CorrectionWindow)
// warns before it files: when its dwell is reached the case goes into the
// book as warned and a "warning" event is sent with a snapshot; when the
// window ends the case opens if its object is still there, and the warning
// is withdrawn if the object has gone.

// stillThere is how long an object may have been unseen when its
// correction window ends and still count as there (a passing bus hides a
// parked car): seen again within it, the case opens; unseen for longer,
// the warning is withdrawn.
const stillThere = 15 * time.Second

// WarningCounts are the warnings of one rule on one camera.
type WarningCounts struct {
	// Warned counts warnings sent, Withdrawn those withdrawn (the object
	// left within the window) and Opened those followed by a case.
	Warned, Withdrawn, Opened uint64
}

// warningStats counts warnings per rule; read by Stats from another
// goroutine.
type warningStats struct {
	mu     sync.Mutex
	byRule map[string]*WarningCounts
}

func (s *warningStats) add(rule string, f func(*WarningCounts)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byRule == nil {
		s.byRule = map[string]*WarningCounts{}
	}
	c := s.byRule[rule]
	if c == nil {
		c = &WarningCounts{}
		s.byRule[rule] = c
	}
	f(c)
}

// snapshot returns the counts by rule id (nil when no rule warned).
func (s *warningStats) snapshot() map[string]WarningCounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byRule) == 0 {
		return nil
	}
	out := make(map[string]WarningCounts, len(s.byRule))
	for id, c := range s.byRule {
		out[id] = *c
	}
	return out
}

// warnFirst turns case c, just confirmed, into a warned one and its
// candidate into the warning event: the snapshot, no clip.
func (w *cameraWorker) warnFirst(c *openCase, cand *publisher.Candidate, window time.Duration) {
	c.Warning = &cases.Warning{At: c.ConfirmedAt.UTC(), WindowS: window.Seconds(), Until: c.ConfirmedAt.Add(window).UTC()}
	c.Warned = true
	cand.Event, cand.CaseID, cand.Seq, cand.At, cand.LastSeen = cases.EventWarning, c.CaseID, 1, c.ConfirmedAt, c.ConfirmedAt
	cand.Warning, cand.Clips, cand.Redacted = c.Warning, nil, nil
	w.warnings.add(c.RuleID, func(n *WarningCounts) { n.Warned++ })
	w.log.Info("case warning", "case", c.CaseID, "rule", c.RuleID, "until", c.Warning.Until.Format(time.RFC3339))
}

// advanceWarning ends the correction window of warned case c: withdrawn
// once its object has been gone for closeAfter, or for stillThere when
// the window has ended; opened when the window has ended and the object
// is seen.
func (w *cameraWorker) advanceWarning(f media.Frame, c *openCase, closeAfter time.Duration) {
	gone := f.Recv.Sub(c.unseenSince())
	ended := !f.Recv.Before(c.Warning.Until)
	switch {
	case gone >= closeAfter || (ended && gone > stillThere):
		c.Seq++
		w.sendLater(f, c, cases.EventWithdrawn, nil)
		w.book.remove(c)
		w.warnings.add(c.RuleID, func(n *WarningCounts) { n.Withdrawn++ })
	case ended && c.LastSeen.Equal(f.Recv):
		w.openWarned(f, c)
	}
}

// openWarned opens warned case c: its object is still there after the
// window. The case is confirmed now, with a clip around now.
func (w *cameraWorker) openWarned(f media.Frame, c *openCase) {
	zr, rr := w.ruleOf(c.ZoneID, c.RuleID)
	if rr == nil {
		return // the rule was removed: the case closes in time
	}
	c.Seq++
	c.Warned, c.ConfirmedAt, c.LastEvent = false, f.Recv, f.Recv
	w.book.dirty, w.book.lifecycle = true, true
	w.warnings.add(c.RuleID, func(n *WarningCounts) { n.Opened++ })
	w.fired.Add(1)
	w.log.Info("case opened after its warning", "case", c.CaseID, "rule", c.RuleID, "seq", c.Seq)
	objs := c.Objects // a count case's group, as followed (countcase.go)
	if !w.isCount(c) {
		objs = w.currentObjects(f, c)
	}
	pic, boxes := w.evidencePicture(f, []image.Rectangle{c.Box})
	w.p.deps.Publisher.Submit(publisher.Candidate{
		Rule: w.caseRule(rr.cfg), Camera: caseCamera(w.cfg), ZoneID: c.ZoneID, Zone: zr.poly,
		TrackID: c.TrackID, FirstSeen: c.FirstSeen, ConfirmedAt: f.Recv, Objects: objs, Why: c.Why,
		Severity: w.severityAt(c, f.Recv), Plate: c.Plate, Warning: c.Warning,
		Frame: pic, Boxes: boxes, Clips: w.cam.Clips(),
		Event: cases.EventOpened, CaseID: c.CaseID, Seq: c.Seq, At: f.Recv, LastSeen: c.LastSeen,
	})
}
