package pipeline

import (
	"image"
	"sync/atomic"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/detect"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher/redact"
)

// closerLook is what a case gets from the full-resolution picture of its
// opening: the explanation with the second look, the plate and the
// redacted copy.
type closerLook struct {
	why      *cases.Explanation
	plate    *cases.Plate
	redacted *media.Image
}

// lookTimes adds up what the closer looks at a camera's cases cost, by
// stage (nanoseconds).
type lookTimes struct {
	events, secondLook, plate, redact atomic.Int64
}

// since adds the time since start to a stage.
func since(stage *atomic.Int64, start time.Time) { stage.Add(int64(time.Since(start))) }

// closerLook looks again at an event before its case opens. pic is the
// evidence picture of f (full resolution when the ring still holds it)
// and boxes the event's object boxes in pic's pixels. ok is false when
// the second look does not find the rule's class: no case opens.
func (w *cameraWorker) closerLook(f media.Frame, pic *media.Image, boxes []image.Rectangle, rr ruleRunner, ev detect.Event,
	det ObjectDetector) (closerLook, bool) {
	out := closerLook{why: why(ev)}
	w.looks.events.Add(1)
	objs := ev.Objects
	if len(objs) == 0 {
		objs = []detect.EventObject{{TrackID: ev.TrackID, Label: ev.Label, Box: ev.Box, Role: detect.RoleSubject}}
	}
	var targets []image.Rectangle
	subject := -1
	for i, o := range objs {
		if i >= len(boxes) {
			break
		}
		if o.Role == detect.RoleSubject || o.Role == detect.RoleMember {
			targets = append(targets, boxes[i])
		}
		if o.Role == detect.RoleSubject && subject < 0 {
			subject = i
		}
	}
	kind := rr.cfg.Kind
	if rr.cfg.SecondLookOn() && (kind == config.KindStationary || kind == config.KindGathering) && len(targets) > 0 {
		start := time.Now()
		look, ok := w.secondLook(det, pic, targets, rr)
		since(&w.looks.secondLook, start)
		out.why.SecondLook = look
		if !ok {
			return out, false
		}
	}
	var plateBox image.Rectangle
	if w.p.deps.Plates != nil && rr.cfg.PlatesOn() && subject >= 0 && vehicles[objs[subject].Label] {
		start := time.Now()
		out.plate = w.readPlate(f, objs[subject].Box, ev.ConfirmedAt.Sub(ev.FirstSeen), pic, boxes[subject])
		since(&w.looks.plate, start)
		if b := out.plate.Box; b != nil {
			plateBox = image.Rect(int(b[0]*float64(pic.Width)), int(b[1]*float64(pic.Height)),
				int((b[0]+b[2])*float64(pic.Width)+0.5), int((b[1]+b[3])*float64(pic.Height)+0.5))
		}
	}
	if w.p.cfg.Evidence.Redact != nil && *w.p.cfg.Evidence.Redact && (w.p.deps.Faces != nil || w.p.deps.Plates != nil) {
		start := time.Now()
		out.redacted = w.redacted(pic, plateBox)
		since(&w.looks.redact, start)
	}
	return out, true
}

// redacted is a copy of pic with faces and every plate in it blurred
// (searched over the whole picture: the detector may not have found their
// vehicles), except the case's own plate (plateBox, pic's pixels). nil
// when it cannot be made.
func (w *cameraWorker) redacted(pic *media.Image, plateBox image.Rectangle) *media.Image {
	var blur []image.Rectangle
	if w.p.deps.Faces != nil {
		faces, err := w.p.deps.Faces.Faces(pic)
		if err != nil {
			w.log.Warn("faces not found; no redacted copy", "err", err)
			return nil
		}
		blur = append(blur, faces...)
	}
	if w.p.deps.Plates != nil {
		plates, err := w.p.deps.Plates.Plates(pic)
		if err != nil {
			w.log.Warn("plates not found; no redacted copy", "err", err)
			return nil
		}
		for _, r := range plates {
			if !r.Overlaps(plateBox) {
				blur = append(blur, r)
			}
		}
	}
	out, err := redact.Blur(pic, blur)
	if err != nil {
		w.log.Warn("no redacted copy", "err", err)
		return nil
	}
	return out
}
