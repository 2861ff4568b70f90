package pipeline

import (
	"image"
	"math"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/detect"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher"
)

// submit opens a case for a fired rule event: unless a suppression covers
// it or the second look does not confirm it, the case goes into the book
// and its candidate to the publisher.
func (w *cameraWorker) submit(f media.Frame, zr zoneRules, rr ruleRunner, ev detect.Event, det ObjectDetector) {
	frame := image.Rect(0, 0, f.Width, f.Height)
	objs := []detect.EventObject{{TrackID: ev.TrackID, Label: ev.Label, Score: ev.Score, Box: ev.Box, Role: detect.RoleSubject}}
	if len(ev.Objects) > 0 {
		objs = ev.Objects
	}
	var caseObjs []cases.Object
	var boxes []image.Rectangle
	for _, o := range objs {
		co := caseObject(o, f.Width, f.Height)
		co.Box = w.view.normBox(co.Box)
		caseObjs = append(caseObjs, co)
		boxes = append(boxes, o.Box.Intersect(frame))
	}
	if sp := w.p.deps.Suppressions; sp != nil && len(caseObjs) > 0 {
		if id, ok := sp.Suppressed(w.cfg.ID, zr.zone.ID, caseObjs[0].Label, caseObjs[0].Box, f.Recv); ok {
			w.suppressed.Add(1)
			w.log.Info("case suppressed", "rule", rr.cfg.ID, "zone", zr.zone.ID, "track", ev.TrackID, "suppression", id)
			return
		}
	}
	pic, fullBoxes := w.evidencePicture(f, boxes)
	look, ok := w.closerLook(f, &pic, fullBoxes, rr, ev, det)
	if !ok {
		w.secondLookDropped.Add(1)
		w.log.Info("second look: not confirmed at full resolution, no case", "rule", rr.cfg.ID, "zone", zr.zone.ID,
			"track", ev.TrackID, "label", ev.Label, "best", look.why.SecondLook.Label, "score", look.why.SecondLook.Score)
		return
	}
	w.log.Info("rule fired", "rule", rr.cfg.ID, "zone", zr.zone.ID, "track", ev.TrackID,
		"label", ev.Label, "dwell", ev.Dwell.Round(1e9))
	oc := &openCase{
		CaseID: cases.ID(w.cfg.ID, rr.cfg.ID, zr.zone.ID, ev.TrackID, ev.FirstSeen),
		RuleID: rr.cfg.ID, ZoneID: zr.zone.ID, TrackID: ev.TrackID, Label: ev.Label, Box: ev.Box,
		FirstSeen: ev.FirstSeen, ConfirmedAt: ev.ConfirmedAt, LastSeen: ev.ConfirmedAt, LastEvent: ev.ConfirmedAt,
		Seq: 1, Objects: caseObjs, Why: look.why, Severity: rr.cfg.SeverityAt(ev.ConfirmedAt.Sub(ev.FirstSeen)),
		Plate: look.plate,
	}
	w.book.open = append(w.book.open, oc)
	w.book.dirty, w.book.lifecycle = true, true
	cand := publisher.Candidate{
		Rule:        w.caseRule(rr.cfg),
		Camera:      caseCamera(w.cfg),
		ZoneID:      zr.zone.ID,
		Zone:        zr.poly,
		TrackID:     ev.TrackID,
		FirstSeen:   ev.FirstSeen,
		ConfirmedAt: ev.ConfirmedAt,
		Objects:     caseObjs,
		Why:         look.why,
		Severity:    rr.cfg.SeverityAt(ev.ConfirmedAt.Sub(ev.FirstSeen)),
		Plate:       look.plate,
		Frame:       pic,
		Boxes:       fullBoxes,
		Redacted:    look.redacted,
		Clips:       w.cam.Clips(),
	}
	if win := rr.cfg.CorrectionWindow; win > 0 {
		w.warnFirst(oc, &cand, win)
	} else {
		w.fired.Add(1)
	}
	w.p.deps.Publisher.Submit(cand)
}

// why is the case explanation of an event; its score statistic follows
// from the rule kind.
func why(ev detect.Event) *cases.Explanation {
	e := ev.Why
	stat := cases.StatMedian
	if ev.Kind == detect.KindGathering || ev.Kind == detect.KindCount {
		stat = cases.StatMax
	}
	return &cases.Explanation{DwellS: e.Dwell.Seconds(), Pictures: e.Pictures, ScoreStat: stat,
		Score: round3(float64(e.Score)), LookMatch: round3(max(-1, min(1, e.LookMatch))), Gaps: e.Gaps,
		Presence: round3(max(0, min(1, e.Presence))), PresentAtStart: e.PresentAtStart, Count: e.Count}
}

// caseObject describes an event object in a case, its box normalized.
func caseObject(o detect.EventObject, w, h int) cases.Object {
	return cases.Object{
		TrackID: o.TrackID, Label: o.Label, Score: round3(float64(o.Score)), Role: o.Role,
		Box: normRect(o.Box, w, h),
	}
}

// normRect is b, clipped to a w x h picture, as [x, y, w, h] normalized
// to it.
func normRect(b image.Rectangle, w, h int) [4]float64 {
	b = b.Intersect(image.Rect(0, 0, w, h))
	fw, fh := float64(w), float64(h)
	return [4]float64{round3(float64(b.Min.X) / fw), round3(float64(b.Min.Y) / fh), round3(float64(b.Dx()) / fw), round3(float64(b.Dy()) / fh)}
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// caseRule describes a rule in a case, with its event code's categories.
func (w *cameraWorker) caseRule(rc config.Rule) cases.Rule {
	r := cases.Rule{ID: rc.ID, Kind: string(rc.Kind), Code: rc.Code, Name: rc.Name}
	if e, ok := w.p.cfg.EventCodeFor(rc.Code); ok {
		r.Category, r.CategoryName, r.Subcategory = e.Category, e.CategoryName, e.Subcategory
	}
	return r
}
