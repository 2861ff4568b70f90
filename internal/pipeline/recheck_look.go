package pipeline

import (
	"image"
	"image/color"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/detect"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher/health"
	"github.com/patrol-city/patrol/internal/publisher/snapshot"
)

// The look of a re-check, on the analysing goroutine: the case's subject,
// the picture at full resolution, the second look around the subject.

// answerRechecks answers the waiting re-checks with picture f (after the
// rules and the open cases saw it).
func (w *cameraWorker) answerRechecks(f media.Frame, det ObjectDetector) {
	for _, job := range w.rechecks.take() {
		job.done <- w.recheck(f, det, job.q)
	}
}

// recheck looks for the case's subject on f's full-resolution picture.
func (w *cameraWorker) recheck(f media.Frame, det ObjectDetector, q RecheckQuery) RecheckResult {
	subject, labels, bar, note, ok := w.recheckSubject(f, q)
	if !ok {
		return unknown(cases.RecheckNoCase)
	}
	switch w.pictureState() {
	case health.PictureCovered:
		return RecheckResult{Status: cases.RecheckUnknown, Reason: cases.RecheckBlocked + ": picture covered", Subject: &subject, At: f.Recv}
	case health.PictureFrozen:
		return RecheckResult{Status: cases.RecheckUnknown, Reason: cases.RecheckBlocked + ": picture frozen", Subject: &subject, At: f.Recv}
	}
	pic, box := w.recheckPicture(f, subject.Box)
	res := RecheckResult{Subject: &subject, At: f.Recv, Reason: note}
	best, looked, err := detect.SecondLook(pic, []image.Rectangle{box}, labels, det.DetectImage)
	switch {
	case err != nil:
		res.Status, res.Reason = cases.RecheckUnknown, cases.RecheckLookFailed+": "+err.Error()
	case !looked:
		res.Status, res.Reason = cases.RecheckUnknown, cases.RecheckLookFailed+": subject box too small"
	case best.Label != "" && float64(best.Score) >= bar:
		res.Status, res.Score = cases.RecheckPresent, round3(float64(best.Score))
	default:
		res.Status = cases.RecheckGone
	}
	c := color.RGBA{R: 255, A: 255}
	if res.Status == cases.RecheckGone {
		c = color.RGBA{G: 200, A: 255}
	}
	jpeg, err := snapshot.Encode(pic, []snapshot.Box{{Label: subject.Label, Score: float32(res.Score), Rect: box, Color: c}}, nil)
	if err != nil {
		w.log.Warn("re-check picture not encoded", "case", q.CaseID, "err", err)
	}
	res.JPEG = jpeg
	w.log.Info("re-check", "case", q.CaseID, "status", res.Status, "score", res.Score, "reason", res.Reason)
	return res
}

// recheckSubject finds the case's subject (normalized frame box), the
// labels that count as it and the score bar: from the open case, a case
// closed lately (note "case closed"), else the query's subject.
func (w *cameraWorker) recheckSubject(f media.Frame, q RecheckQuery) (s cases.RecheckSubject, labels map[string]bool, bar float64, note string, ok bool) {
	bar = config.DefaultSecondLookScore
	for _, c := range w.book.open {
		if c.CaseID != q.CaseID {
			continue
		}
		s = cases.RecheckSubject{Label: c.Label, Box: w.view.normBox(normRect(c.Box, f.Width, f.Height))}
		if _, rr := w.ruleOf(c.ZoneID, c.RuleID); rr != nil {
			labels = rr.labels
			if rr.cfg.SecondLookScore > 0 {
				bar = rr.cfg.SecondLookScore
			}
		}
		if labels == nil {
			labels = labelFamily(c.Label)
		}
		return s, labels, bar, "", true
	}
	for _, c := range w.closed {
		if c.id == q.CaseID {
			return c.subject, c.labels, bar, "case closed", true
		}
	}
	if q.Subject != nil {
		return *q.Subject, labelFamily(q.Subject.Label), bar, "", true
	}
	return s, nil, 0, "", false
}

// labelFamily is the labels a subject of label may be seen as: any
// vehicle for a vehicle (a van is seen as car or truck), else the label.
func labelFamily(label string) map[string]bool {
	if vehicles[label] {
		return vehicles
	}
	return map[string]bool{label: true}
}

// rememberClosed keeps a closed case's subject for re-checks after it.
func (w *cameraWorker) rememberClosed(c *openCase, f media.Frame) {
	labels := labelFamily(c.Label)
	if _, rr := w.ruleOf(c.ZoneID, c.RuleID); rr != nil {
		labels = rr.labels
	}
	w.closed = append(w.closed, closedCase{id: c.CaseID, labels: labels,
		subject: cases.RecheckSubject{Label: c.Label, Box: w.view.normBox(normRect(c.Box, f.Width, f.Height))}})
	if len(w.closed) > recentClosed {
		w.closed = w.closed[len(w.closed)-recentClosed:]
	}
}

// recheckPicture is f's moment at full resolution (f's own picture when
// the ring no longer holds it) and the subject's normalized frame box in
// its pixels.
func (w *cameraWorker) recheckPicture(f media.Frame, nb [4]float64) (*media.Image, image.Rectangle) {
	if full, err := w.cam.FullPicture(f.Recv); err == nil {
		return full, normToPixels(nb, full.Width, full.Height)
	}
	img := f.Image
	if w.view.on {
		p0, p1 := w.view.into([]float64{nb[0], nb[1]}), w.view.into([]float64{nb[0] + nb[2], nb[1] + nb[3]})
		nb = [4]float64{p0[0], p0[1], p1[0] - p0[0], p1[1] - p0[1]}
	}
	return &img, normToPixels(nb, img.Width, img.Height)
}

// normToPixels is a normalized [x, y, w, h] box in a w x h picture.
func normToPixels(b [4]float64, w, h int) image.Rectangle {
	fw, fh := float64(w), float64(h)
	return image.Rect(int(b[0]*fw+0.5), int(b[1]*fh+0.5), int((b[0]+b[2])*fw+0.5), int((b[1]+b[3])*fh+0.5)).
		Intersect(image.Rect(0, 0, w, h))
}
