package detect

import (
	"image"
	"slices"
	"testing"
	"time"
)

// busScene is a parked car (160x90, bottom centre (640,600)) hidden by a
// 520x260 bus that drives in from the left, stops in front of it from 20s to
// 36s and drives off to the right. While the bus covers less than half of
// the car the car is detected as its visible part; otherwise not at all.
type busScene struct{ carFrom, carTo time.Duration }

var busCar = image.Rect(560, 510, 720, 600)

// busLeft returns the bus's left edge at at, and whether it is in view.
func busLeft(at time.Duration) (int, bool) {
	s := at.Seconds()
	switch {
	case s < 12 || s > 44:
		return 0, false
	case s < 20:
		return int(-520 + 115*(s-12)), true
	case s <= 36:
		return 400, true
	default:
		return int(400 + 112.5*(s-36)), true
	}
}

func (b busScene) dets(at time.Duration) []Detection {
	var out []Detection
	vis := busCar
	if at < b.carFrom || at >= b.carTo {
		vis = image.Rectangle{}
	}
	if l, ok := busLeft(at); ok {
		bus := image.Rect(l, 380, l+520, 640)
		out = append(out, Detection{Class: 5, Label: "bus", Score: 0.85, Box: bus})
		switch {
		case vis.Empty():
		case bus.Max.X > vis.Min.X && bus.Max.X < vis.Max.X && bus.Min.X <= vis.Min.X:
			vis.Min.X = bus.Max.X // covered from the left
		case bus.Min.X > vis.Min.X && bus.Min.X < vis.Max.X && bus.Max.X >= vis.Max.X:
			vis.Max.X = bus.Min.X // covered from the right
		case bus.Min.X <= vis.Min.X && bus.Max.X >= vis.Max.X:
			vis = image.Rectangle{}
		}
	}
	if !vis.Empty() && area(vis) >= area(busCar)/2 {
		out = append(out, Detection{Class: 2, Label: "car", Score: 0.8, Box: vis})
	}
	return out
}

func TestOcclusionByBus(t *testing.T) {
	// The car is hidden from 17.6s to 38.2s: more than 20s.
	scene := busScene{0, time.Hour}
	var hidden []time.Duration
	for i := 0; i < 60*fps; i++ {
		at := time.Duration(i) * frameDur
		if !slices.ContainsFunc(scene.dets(at), func(d Detection) bool { return d.Label == "car" }) {
			hidden = append(hidden, at)
		}
	}
	if got := hidden[len(hidden)-1] - hidden[0]; len(hidden) < 20*fps || got < 20*time.Second {
		t.Fatalf("car hidden %v (%d frames), want at least 20s", got, len(hidden))
	}
	back := hidden[len(hidden)-1] + frameDur
	tests := []struct {
		name     string
		minDwell time.Duration
		wantAt   time.Duration // event time
	}{
		{"dwell reached after the bus left", 60 * time.Second, 60 * time.Second},
		{"dwell reached while hidden fires when seen again", 30 * time.Second, back},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rule := newParkingRule(t, tc.minDwell, nil)
			tr := NewTracker(TrackerConfig{})
			carIDs := map[uint64]bool{}
			var events []firing
			for i := 0; i < 90*fps; i++ {
				at := time.Duration(i) * frameDur
				tracks := tr.Update(scene.dets(at), t0.Add(at))
				for _, trk := range tracks {
					if trk.Label == "car" && trk.Missed == 0 {
						carIDs[trk.ID] = true
					}
				}
				for _, ev := range rule.Update(tracks, frameW, frameH, t0.Add(at)) {
					events = append(events, firing{at, ev})
				}
			}
			if len(carIDs) != 1 || !carIDs[1] {
				t.Errorf("car track IDs %v, want only 1", carIDs)
			}
			if len(events) != 1 {
				t.Fatalf("%d events %+v, want 1", len(events), events)
			}
			ev := events[0]
			t.Logf("event at %v: track %d %s dwell %v", ev.at, ev.ev.TrackID, ev.ev.Label, ev.ev.Dwell)
			if ev.at != tc.wantAt || ev.ev.TrackID != 1 || ev.ev.Label != "car" ||
				!ev.ev.FirstSeen.Equal(t0) || ev.ev.Dwell != tc.wantAt {
				t.Errorf("event %+v at %v, want car track 1 at %v with dwell %v", ev.ev, ev.at, tc.wantAt, tc.wantAt)
			}
		})
	}
}

func TestOcclusionNeedsRest(t *testing.T) {
	// Without the lost-track memory (MaxLost = MaxMissed) the car comes back
	// as a new track and its dwell restarts: the scenario tests something.
	tr := NewTracker(TrackerConfig{MaxLost: time.Nanosecond})
	scene := busScene{0, time.Hour}
	var last []*Track
	for i := 0; i < 45*fps; i++ {
		at := time.Duration(i) * frameDur
		last = tr.Update(scene.dets(at), t0.Add(at))
	}
	for _, trk := range last {
		if trk.Label == "car" && trk.ID == 1 {
			t.Fatalf("car kept track 1 without MaxLost")
		}
	}
}

func TestTrackerLostRetention(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*Tracker)
		at    time.Duration
		dets  []Detection
		want  []uint64
	}{
		{"still track kept within MaxLost", still1, 62 * time.Second, nil, []uint64{1}},
		{"still track dropped after MaxLost", still1, 64 * time.Second, nil, nil},
		{"still track reacquired at its place", still1, 50 * time.Second,
			[]Detection{det("truck", 0.6, 104, 98, 158, 92)}, []uint64{1}},
		{"partly visible box reacquires", still1, 30 * time.Second,
			[]Detection{det("car", 0.6, 180, 100, 80, 90)}, []uint64{1}},
		{"a bus at the same place is another object", still1, 30 * time.Second,
			[]Detection{det("bus", 0.9, 40, 0, 420, 200)}, []uint64{1, 2}},
		{"a person at the same place is another object", still1, 30 * time.Second,
			[]Detection{det("person", 0.9, 100, 100, 160, 90)}, []uint64{1, 2}},
		{"moving track dropped after MaxMissed", moving1, 5*time.Second + 600*time.Millisecond + 1, nil, nil},
		{"moving track found at its predicted place", moving1, 3600 * time.Millisecond,
			[]Detection{det("car", 0.8, 460, 100, 160, 90)}, []uint64{1}},
		{"moving track not found far from its path", moving1, 3600 * time.Millisecond,
			[]Detection{det("car", 0.8, 460, 300, 160, 90)}, []uint64{1, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewTracker(TrackerConfig{})
			tc.setup(tr)
			if got := ids(tr.Update(tc.dets, t0.Add(tc.at))); !slices.Equal(got, tc.want) {
				t.Fatalf("track IDs %v, want %v", got, tc.want)
			}
		})
	}
}

// still1 makes track 1: a car at rest at (100,100) from 0s to 3s.
func still1(tr *Tracker) {
	for s := 0; s <= 3; s++ {
		tr.Update([]Detection{det("car", 0.8, 100, 100, 160, 90)}, t0.Add(time.Duration(s)*time.Second))
	}
}

// moving1 makes track 1: a car driving right at 100 px/s from 0s to 0.6s.
func moving1(tr *Tracker) {
	for i := 0; i <= 3; i++ {
		tr.Update([]Detection{det("car", 0.8, 100+20*i, 100, 160, 90)}, t0.Add(time.Duration(i)*200*time.Millisecond))
	}
}
