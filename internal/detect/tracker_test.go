package detect

import (
	"image"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)

func det(label string, score float32, x, y, w, h int) Detection {
	class := -1
	for i, c := range COCOClasses {
		if c == label {
			class = i
		}
	}
	return Detection{Class: class, Label: label, Score: score, Box: image.Rect(x, y, x+w, y+h)}
}

func ids(tracks []*Track) []uint64 {
	var out []uint64
	for _, t := range tracks {
		out = append(out, t.ID)
	}
	return out
}

func TestTrackerScenarios(t *testing.T) {
	type frame struct {
		at   time.Duration
		dets []Detection
		want []uint64 // live track IDs after the update
	}
	tests := []struct {
		name   string
		frames []frame
		check  func(t *testing.T, tracks []*Track)
	}{
		{"standing object keeps its ID", []frame{
			{0, []Detection{det("car", 0.8, 100, 100, 200, 100)}, []uint64{1}},
			{time.Second, []Detection{det("car", 0.7, 102, 101, 200, 100)}, []uint64{1}},
			{2 * time.Second, []Detection{det("car", 0.9, 101, 99, 201, 100)}, []uint64{1}},
		}, func(t *testing.T, tr []*Track) {
			if tr[0].Hits != 3 || tr[0].Score != 0.9 || !tr[0].FirstSeen.Equal(t0) || !tr[0].LastSeen.Equal(t0.Add(2*time.Second)) {
				t.Errorf("track %+v", *tr[0])
			}
		}},
		{"moving object keeps its ID", []frame{
			{0, []Detection{det("car", 0.8, 0, 100, 100, 60)}, []uint64{1}},
			{100 * time.Millisecond, []Detection{det("car", 0.8, 20, 100, 100, 60)}, []uint64{1}},
			{200 * time.Millisecond, []Detection{det("car", 0.8, 40, 100, 100, 60)}, []uint64{1}},
		}, nil},
		{"two objects two tracks", []frame{
			{0, []Detection{det("car", 0.8, 0, 0, 100, 60), det("person", 0.8, 300, 0, 40, 100)}, []uint64{1, 2}},
			{time.Second, []Detection{det("person", 0.8, 302, 0, 40, 100), det("car", 0.8, 3, 0, 100, 60)}, []uint64{1, 2}},
		}, func(t *testing.T, tr []*Track) {
			if tr[0].Label != "car" || tr[1].Label != "person" {
				t.Errorf("labels %s, %s", tr[0].Label, tr[1].Label)
			}
		}},
		{"car/truck flicker keeps the track and the majority label", []frame{
			{0, []Detection{det("car", 0.8, 0, 0, 100, 60)}, []uint64{1}},
			{time.Second, []Detection{det("truck", 0.5, 0, 0, 100, 60)}, []uint64{1}},
			{2 * time.Second, []Detection{det("car", 0.8, 0, 0, 100, 60)}, []uint64{1}},
		}, func(t *testing.T, tr []*Track) {
			if tr[0].Label != "car" || tr[0].Class != 2 || tr[0].Hits != 3 {
				t.Errorf("track %+v", *tr[0])
			}
		}},
		{"overlapping car and truck are one object", []frame{
			{0, []Detection{det("car", 0.8, 466, 78, 226, 93), det("truck", 0.31, 464, 78, 219, 95)}, []uint64{1}},
		}, func(t *testing.T, tr []*Track) {
			if tr[0].Label != "car" {
				t.Errorf("label %s", tr[0].Label)
			}
		}},
		{"incompatible label starts a new track", []frame{
			{0, []Detection{det("car", 0.8, 0, 0, 100, 60)}, []uint64{1}},
			{time.Second, []Detection{det("person", 0.8, 0, 0, 100, 60)}, []uint64{1, 2}},
		}, nil},
		{"a jump starts a new track", []frame{
			{0, []Detection{det("car", 0.8, 0, 0, 100, 60)}, []uint64{1}},
			{time.Second, []Detection{det("car", 0.8, 500, 0, 100, 60)}, []uint64{1, 2}},
		}, nil},
		{"missed track survives MaxMissed then goes", []frame{
			{0, []Detection{det("car", 0.8, 0, 0, 100, 60)}, []uint64{1}},
			{2 * time.Second, nil, []uint64{1}},
			{5 * time.Second, nil, []uint64{1}},
			{5*time.Second + time.Millisecond, nil, nil},
			{6 * time.Second, []Detection{det("car", 0.8, 0, 0, 100, 60)}, []uint64{2}},
		}, nil},
		{"missed track is picked up again", []frame{
			{0, []Detection{det("car", 0.8, 0, 0, 100, 60)}, []uint64{1}},
			{time.Second, nil, []uint64{1}},
			{2 * time.Second, nil, []uint64{1}},
			{3 * time.Second, []Detection{det("car", 0.8, 5, 0, 100, 60)}, []uint64{1}},
		}, func(t *testing.T, tr []*Track) {
			if tr[0].Missed != 0 || tr[0].Hits != 2 {
				t.Errorf("track %+v", *tr[0])
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewTracker(TrackerConfig{})
			var tracks []*Track
			for i, f := range tc.frames {
				tracks = tr.Update(f.dets, t0.Add(f.at))
				if got := ids(tracks); !slices.Equal(got, f.want) {
					t.Fatalf("frame %d: track IDs %v, want %v", i, got, f.want)
				}
			}
			if tc.check != nil {
				tc.check(t, tracks)
			}
		})
	}
}

func TestTrackerMissedCount(t *testing.T) {
	tr := NewTracker(TrackerConfig{MaxMissed: time.Minute})
	tr.Update([]Detection{det("dog", 0.9, 0, 0, 50, 50)}, t0)
	for i := 1; i <= 3; i++ {
		tracks := tr.Update(nil, t0.Add(time.Duration(i)*time.Second))
		if len(tracks) != 1 || tracks[0].Missed != i {
			t.Fatalf("after %d misses: %+v", i, tracks)
		}
	}
	if got := len(tr.Tracks()); got != 1 {
		t.Fatalf("Tracks() has %d tracks", got)
	}
}

func TestTrackerExactLabels(t *testing.T) {
	tr := NewTracker(TrackerConfig{Compatible: [][]string{}})
	tr.Update([]Detection{det("car", 0.8, 0, 0, 100, 60)}, t0)
	tracks := tr.Update([]Detection{det("truck", 0.8, 0, 0, 100, 60)}, t0.Add(time.Second))
	if len(tracks) != 2 {
		t.Fatalf("car and truck merged with Compatible empty: %v", ids(tracks))
	}
}

func TestTrackerHold(t *testing.T) {
	// Inference every 5s, the picture unchanged in between: Hold keeps the
	// parked car seen, so the rule fires on time rather than at the next
	// inference (38s).
	rule := newParkingRule(t, 31*time.Second, nil)
	tr := NewTracker(TrackerConfig{})
	var fired []time.Duration
	for s := 0; s <= 40; s++ {
		now := t0.Add(time.Duration(s) * time.Second)
		var tracks []*Track
		if s%5 == 3 {
			tracks = tr.Update([]Detection{carAt(640, 600)}, now)
		} else if s > 3 {
			tracks = tr.Hold(now)
		}
		for range rule.Update(tracks, frameW, frameH, now) {
			fired = append(fired, time.Duration(s)*time.Second)
		}
	}
	if len(fired) != 1 || fired[0] != 34*time.Second {
		t.Fatalf("fired at %v, want [34s]", fired)
	}
	if tracks := tr.Tracks(); len(tracks) != 1 || tracks[0].Hits != 8 || !tracks[0].Still {
		t.Fatalf("tracks %+v", tracks)
	}
}
