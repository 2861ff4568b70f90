package detect

import (
	"testing"
	"time"
)

// TestVehicleStall: a van (a car to the detector) at rest with two people
// standing at its side is a stall: the gathering fires after MinDwell, the
// van among its stall objects, and NearStall names it from the moment the
// people are at rest; people walking past a parked van do not make it a
// stall.
func TestVehicleStall(t *testing.T) {
	t.Parallel()
	van := func() Detection { return det("car", 0.8, 500, 480, 260, 140) }
	for _, tc := range []struct {
		name   string
		people func(s int) []Detection
		at     int // second of the event, -1 none
	}{
		{"selling", func(s int) []Detection {
			if s < 3 {
				return nil
			}
			return []Detection{person(790, 620), person(840, 625)}
		}, 13},
		{"passing", func(s int) []Detection {
			return []Detection{person(40+60*float64(s%20), 640)}
		}, -1},
	} {
		g, err := NewGathering(GatheringConfig{ID: "vending", Code: "0501", MinDwell: 10 * time.Second}, sidewalk)
		if err != nil {
			t.Fatal(err)
		}
		tr := NewTracker(TrackerConfig{})
		at, near := -1, false
		var vanID uint64
		for s := range 30 {
			now := t0.Add(time.Duration(s) * time.Second)
			tracks := tr.Update(append([]Detection{van()}, tc.people(s)...), now)
			for _, tk := range tracks {
				if tk.Label == "car" {
					vanID = tk.ID
				}
			}
			for _, ev := range g.Update(tracks, frameW, frameH, now) {
				at = s
				if len(ev.Stalls) != 1 || ev.Stalls[0] != vanID {
					t.Errorf("%s: stalls %v, want the van %d", tc.name, ev.Stalls, vanID)
				}
			}
			near = near || g.NearStall(vanID)
		}
		if at != tc.at || near != (tc.at >= 0) {
			t.Errorf("%s: event at %d s, van near people at rest %v; want %d, %v", tc.name, at, near, tc.at, tc.at >= 0)
		}
	}
}
