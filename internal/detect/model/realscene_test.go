package model

import (
	"fmt"
	"image"
	"slices"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/detect"
	"gocv.io/x/gocv"
)

// vendorFrame composites the real vendor umbrellas and the people under
// them from street.png (enlarged 3x, so YOLOX-Nano sees the umbrellas) onto
// the real pavement of the same photo, shifted by (dx, dy) pixels of camera
// shake. The frame is 1280x720.
func vendorFrame(t *testing.T, street gocv.Mat, dx, dy int) gocv.Mat {
	t.Helper()
	frame := gocv.NewMat()
	pave := street.Region(image.Rect(0, 600, 1441, 731))
	gocv.Resize(pave, &frame, image.Pt(1280, 720), 0, 0, gocv.InterpolationLinear)
	pave.Close()
	stall := street.Region(image.Rect(1000, 390, 1200, 560))
	big := gocv.NewMat()
	gocv.Resize(stall, &big, image.Point{}, 3, 3, gocv.InterpolationLinear)
	stall.Close()
	dst := frame.Region(image.Rect(340+dx, 150+dy, 340+dx+big.Cols(), 150+dy+big.Rows()))
	big.CopyTo(&dst)
	dst.Close()
	big.Close()
	return frame
}

// TestGatheringRealDetector runs YOLOX-Nano, the tracker and the gathering
// rule over 40s of a composited vending scene (one frame every 2s): one
// event, with umbrellas among its stall objects.
func TestGatheringRealDetector(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the detector 21 times")
	}
	d, err := NewDetector(withRuntime(t, Config{ModelPath: modelPath(t), ScoreThreshold: 0.25}))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	street := gocv.IMRead(testdataPath(t, "images/street.png"), gocv.IMReadColor)
	defer street.Close()
	zone := detect.Zone{ID: "pavement", Polygon: []detect.Point{{X: 0.02, Y: 0.3}, {X: 0.98, Y: 0.3}, {X: 0.98, Y: 0.98}, {X: 0.02, Y: 0.98}}}
	g, err := detect.NewGathering(detect.GatheringConfig{ID: "vending", Code: "0501", MinDwell: 20 * time.Second}, zone)
	if err != nil {
		t.Fatal(err)
	}
	tr := detect.NewTracker(detect.TrackerConfig{})
	var events []detect.Event
	for s := 0; s <= 40; s += 2 {
		frame := vendorFrame(t, street, s%3-1, (s/2)%3-1)
		dets, err := d.Detect(frame)
		frame.Close()
		if err != nil {
			t.Fatal(err)
		}
		now := t0.Add(time.Duration(s) * time.Second)
		tracks := tr.Update(dets, now)
		for _, ev := range g.Update(tracks, 1280, 720, now) {
			t.Logf("%ds: members %v stalls %v dwell %v", s, ev.Members, ev.Stalls, ev.Dwell)
			for _, o := range ev.Objects {
				t.Logf("  %s %d %s %.2f %v", o.Role, o.TrackID, o.Label, o.Score, o.Box)
			}
			events = append(events, ev)
		}
		if s == 0 {
			for _, x := range dets {
				t.Logf("detected %s %.2f %v", x.Label, x.Score, x.Box)
			}
		}
	}
	if len(events) != 1 {
		t.Fatalf("%d events, want 1", len(events))
	}
	ev := events[0]
	umbrella := slices.ContainsFunc(ev.Objects, func(o detect.EventObject) bool { return o.Role == detect.RoleStall && o.Label == "umbrella" })
	if len(ev.Members) == 0 || !umbrella || ev.Dwell < 20*time.Second || ev.ConfirmedAt.After(t0.Add(24*time.Second)) {
		t.Fatalf("event %+v: want members, an umbrella stall, dwell >= 20s, confirmed by 24s", ev)
	}
}

// busFrame composites the real taxi of street.png parked on the pavement of
// the same photo and, when busX is not nil, the real bus of bus.jpg (scaled
// to 630x400) in front of it with its left edge at *busX. 1280x720.
func busFrame(t *testing.T, street, busImg gocv.Mat, busX *int) gocv.Mat {
	t.Helper()
	frame := gocv.NewMat()
	pave := street.Region(image.Rect(0, 600, 1441, 731))
	gocv.Resize(pave, &frame, image.Pt(1280, 720), 0, 0, gocv.InterpolationLinear)
	pave.Close()
	paste := func(src gocv.Mat, r image.Rectangle, at image.Point, scale float64) {
		crop := src.Region(r)
		defer crop.Close()
		sc := gocv.NewMat()
		defer sc.Close()
		gocv.Resize(crop, &sc, image.Point{}, scale, scale, gocv.InterpolationLinear)
		vis := image.Rect(at.X, at.Y, at.X+sc.Cols(), at.Y+sc.Rows()).Intersect(image.Rect(0, 0, 1280, 720))
		if vis.Empty() {
			return
		}
		part := sc.Region(vis.Sub(at))
		defer part.Close()
		dst := frame.Region(vis)
		defer dst.Close()
		part.CopyTo(&dst)
	}
	paste(street, image.Rect(110, 467, 442, 620), image.Pt(480, 420), 1)
	if busX != nil {
		paste(busImg, image.Rect(13, 231, 801, 732), image.Pt(*busX, 240), 0.8)
	}
	return frame
}

// TestOcclusionRealDetector: the real taxi parked from 0s, the real bus
// drives in front of it, stops there from 20s to 36s and leaves (one frame
// every 2s through YOLOX-Nano). The taxi keeps its track through the
// occlusion and fires once, at 60s, with 60s of dwell; the bus does not.
func TestOcclusionRealDetector(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the detector 41 times")
	}
	d, err := NewDetector(withRuntime(t, Config{ModelPath: modelPath(t)}))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	street := gocv.IMRead(testdataPath(t, "images/street.png"), gocv.IMReadColor)
	defer street.Close()
	busImg := gocv.IMRead(testdataPath(t, "images/bus.jpg"), gocv.IMReadColor)
	defer busImg.Close()
	zone := detect.Zone{ID: "kerb", Polygon: []detect.Point{{X: 0.2, Y: 0.6}, {X: 0.9, Y: 0.6}, {X: 0.9, Y: 0.95}, {X: 0.2, Y: 0.95}}}
	rule, err := detect.NewStationary(detect.StationaryConfig{ID: "park", Code: "0505", Classes: []string{"car", "truck", "bus"},
		MinDwell: time.Minute}, zone)
	if err != nil {
		t.Fatal(err)
	}
	tr := detect.NewTracker(detect.TrackerConfig{})
	var events []detect.Event
	hidden := 0
	for s := 0; s <= 80; s += 2 {
		var busX *int
		switch x := 0; {
		case s >= 12 && s < 20:
			x = -630 + 120*(s-12)
			busX = &x
		case s >= 20 && s <= 36:
			x = 330
			busX = &x
		case s > 36 && s <= 44:
			x = 330 + 120*(s-36)
			busX = &x
		}
		frame := busFrame(t, street, busImg, busX)
		dets, err := d.Detect(frame)
		frame.Close()
		if err != nil {
			t.Fatal(err)
		}
		now := t0.Add(time.Duration(s) * time.Second)
		tracks := tr.Update(dets, now)
		var seen []string
		for _, trk := range tracks {
			if trk.Missed == 0 && trk.Label != "person" {
				seen = append(seen, fmt.Sprintf("%d:%s%v", trk.ID, trk.Label, trk.Box))
			}
		}
		if !slices.ContainsFunc(tracks, func(trk *detect.Track) bool { return trk.ID == 1 && trk.Missed == 0 }) {
			hidden++
		}
		t.Logf("%2ds %v", s, seen)
		events = append(events, rule.Update(tracks, 1280, 720, now)...)
	}
	if hidden*2 < 20 {
		t.Errorf("taxi hidden only %ds: the scene does not occlude it", hidden*2)
	}
	if len(events) != 1 {
		t.Fatalf("%d events %+v, want 1", len(events), events)
	}
	ev := events[0]
	t.Logf("event: track %d %s dwell %v at %v", ev.TrackID, ev.Label, ev.Dwell, ev.ConfirmedAt.Sub(t0))
	if ev.TrackID != 1 || ev.Label != "car" || ev.Dwell != time.Minute || !ev.FirstSeen.Equal(t0) {
		t.Fatalf("event %+v, want the taxi (track 1) with 60s dwell from 0s", ev)
	}
}
