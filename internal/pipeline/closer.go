package pipeline

import (
	"image"
	"sort"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/detect"
	"github.com/patrol-city/patrol/internal/detect/plate"
	"github.com/patrol-city/patrol/internal/media"
)

// A closer look at a case before it opens (issue 21), at full resolution
// and once per case, never per picture: the second look (the detector on a
// crop around the object), the plate (read on several key frames of the
// dwell) and the redacted copy of the snapshot.

// PlateReader reads and finds licence plates in full-resolution pictures;
// *plate.Reader implements it. Calls may come from several goroutines.
type PlateReader interface {
	ReadPicture(img *media.Image, box image.Rectangle) (plate.Result, error)
	Plates(img *media.Image) ([]image.Rectangle, error)
}

// FaceFinder finds faces in a full-resolution picture, for the redacted
// copies. Calls may come from several goroutines.
type FaceFinder interface {
	Faces(img *media.Image) ([]image.Rectangle, error)
}

// Closer look settings.
const (
	// plateReads is how many key frames of the dwell a plate is read on.
	plateReads = 3
	// plateAgree is how many of them must read the same text.
	plateAgree = 2
)

// vehicles are the labels whose cases carry a plate.
var vehicles = map[string]bool{"car": true, "truck": true, "bus": true, "motorcycle": true}

// secondLook looks again at the targets (the object, or a gathering's
// members; full's pixels) on a crop of full (detect.SecondLook) and returns
// the best box of the rule's labels; ok is false when it does not reach
// the rule's bar. A failed or impossible look lets the case open.
func (w *cameraWorker) secondLook(det ObjectDetector, full *media.Image, targets []image.Rectangle, rr ruleRunner) (*cases.SecondLook, bool) {
	best, looked, err := detect.SecondLook(full, targets, rr.labels, det.DetectImage)
	switch {
	case err != nil:
		w.log.Warn("second look failed; the case opens without it", "err", err)
		return nil, true
	case !looked:
		return nil, true
	case best.Label == "":
		return &cases.SecondLook{Label: "none"}, false
	}
	look := &cases.SecondLook{Label: best.Label, Score: round3(float64(best.Score))}
	return look, look.Score >= rr.cfg.SecondLookScore
}

// readPlate reads the plate of the vehicle in box (f's pixels) on up to
// plateReads key frames of the main stream within the dwell, and votes:
// a text is published only when at least plateAgree reads give it and no
// read gives another.
func (w *cameraWorker) readPlate(f media.Frame, box image.Rectangle, dwell time.Duration, pic *media.Image, picBox image.Rectangle) *cases.Plate {
	pics := w.cam.KeyPictures(f.Recv, dwell, plateReads)
	if len(pics) == 0 && pic != nil && pic.Width > f.Width {
		pics = []*media.Image{pic} // one read cannot agree: text stays nil
	}
	texts, reasons := map[string]int{}, map[string]int{}
	scores := map[string]float64{}
	boxes := map[string]image.Rectangle{}
	sizes := map[string]image.Point{}
	for _, p := range pics {
		b := w.view.toFrame(box, f.Width, f.Height, p.Width, p.Height)
		if p == pic {
			b = picBox
		}
		res, err := w.p.deps.Plates.ReadPicture(p, b)
		w.log.Debug("plate read", "box", b, "picture", image.Pt(p.Width, p.Height), "text", res.Text, "reason", res.Reason, "score", res.Score)
		if err != nil {
			w.log.Warn("plate not read", "err", err)
			continue
		}
		if res.Text == "" {
			reasons[res.Reason]++
			continue
		}
		if n := texts[res.Text]; n == 0 || res.Score < scores[res.Text] {
			scores[res.Text] = res.Score
		}
		texts[res.Text]++
		boxes[res.Text], sizes[res.Text] = res.Box, image.Pt(p.Width, p.Height)
	}
	out := &cases.Plate{Reads: len(pics)}
	top, n := commonest(texts)
	out.Agreeing = n
	if n >= plateAgree && n == sumOf(texts) {
		t := top
		sz := sizes[top]
		box := normRect(boxes[top], sz.X, sz.Y)
		out.Text, out.Score, out.Box = &t, round3(scores[top]), &box
		return out
	}
	out.Reason = cases.PlateUnreadable
	if len(texts) == 0 {
		if r, k := commonest(reasons); k > 0 {
			out.Reason = r
		}
	}
	return out
}

// commonest is the key with the highest count (ties: the smallest key).
func commonest(m map[string]int) (string, int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	best, n := "", 0
	for _, k := range keys {
		if m[k] > n {
			best, n = k, m[k]
		}
	}
	return best, n
}

func sumOf(m map[string]int) int {
	s := 0
	for _, v := range m {
		s += v
	}
	return s
}

// readPlateAgain reads the plate of an open case whose plate has no text
// yet on the key frames since its last event (an update): a plate hidden
// at the opening may be readable later. The new vote replaces the old
// only when it gives a text.
func (w *cameraWorker) readPlateAgain(f media.Frame, c *openCase, window time.Duration) {
	if c.Plate == nil || c.Plate.Text != nil || w.p.deps.Plates == nil || c.TrackID == 0 {
		return
	}
	start := time.Now()
	defer since(&w.looks.plate, start)
	again := w.readPlate(f, c.Box, window, nil, image.Rectangle{})
	if again.Text != nil {
		c.Plate = again
		w.log.Info("plate read on a later picture", "case", c.CaseID, "plate", *again.Text)
	}
}
