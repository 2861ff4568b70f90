package detect

import (
	"testing"
	"time"
)

// bikeAt is a 60x40 bicycle standing at (x, y) pixels.
func bikeAt(x, y float64) Detection { return det("bicycle", 0.6, int(x)-30, int(y)-40, 60, 40) }

// TestCount: bicycles parked one after another over a zone give one case
// for the group once MinCount of them have stood for MinDwell, with every
// bicycle at rest as its members; bicycles riding through give none; too
// few give none.
func TestCount(t *testing.T) {
	t.Parallel()
	parked := func(n int) func(s int) []Detection {
		return func(s int) []Detection {
			var out []Detection
			for k := range n {
				if s >= 2*k { // one more every 2 s
					out = append(out, bikeAt(200+float64(k)*100, 600))
				}
			}
			return out
		}
	}
	// A motorbike scored both ways is one object.
	twoLabels := func(s int) []Detection {
		out := parked(6)(s)
		for _, d := range out {
			d.Label, d.Score = "motorcycle", 0.5
			out = append(out, d)
		}
		return out
	}
	riding := func(s int) []Detection {
		var out []Detection
		for k := 0; 3*k <= s; k++ {
			if x := 60 + 90*float64(s-3*k); x < 1200 {
				out = append(out, bikeAt(x, 600+float64(k%3)*30))
			}
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		scene  func(s int) []Detection
		events int
		at     int // second of the event
		count  int
	}{
		{"six parked", parked(6), 1, 14, 6}, // the third arrives at 4 s, stands 10 s
		{"two parked", parked(2), 0, 0, 0},  // fewer than MinCount
		{"two labels", twoLabels, 1, 14, 6}, // not 12
		{"riding through", riding, 0, 0, 0}, // none at rest
	} {
		rule, err := NewCount(CountConfig{ID: "bikes", Code: "0506", MinDwell: 10 * time.Second}, sidewalk)
		if err != nil {
			t.Fatal(err)
		}
		got := run(t, rule, 60, tc.scene)
		n := 0
		for s, evs := range got {
			for _, ev := range evs {
				n++
				if ev.Kind != KindCount || ev.Why.Count != tc.count || len(ev.Objects) != tc.count || s != tc.at {
					t.Errorf("%s: at %d s kind %s count %d (%d objects), want at %d s count %d", tc.name, s, ev.Kind, ev.Why.Count, len(ev.Objects), tc.at, tc.count)
				}
			}
		}
		if n != tc.events {
			t.Errorf("%s: %d events, want %d", tc.name, n, tc.events)
		}
	}
	if _, err := NewCount(CountConfig{ID: "x", MinCount: -1, MinDwell: time.Second}, sidewalk); err == nil {
		t.Error("MinCount -1 accepted")
	}
	if _, err := NewCount(CountConfig{ID: "x"}, sidewalk); err == nil {
		t.Error("no MinDwell accepted")
	}
}

// TestCountFollowsGroup: Resting follows the group after the event (six,
// then two when four ride off); a group that stayed below MinCount for
// DisperseAfter fires again when it grows back to MinCount, one that
// dipped below it for less does not.
func TestCountFollowsGroup(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		away     int // seconds with only two bicycles
		events   int
		restings map[int]int // the number of objects Resting returns, by second
	}{
		{"dispersed", 80, 2, map[int]int{20: 6, 50: 2}},
		{"short dip", 20, 1, map[int]int{20: 6, 50: 2, 60: 6}},
	} {
		rule, err := NewCount(CountConfig{ID: "bikes", Code: "0506", MinDwell: 10 * time.Second, DisperseAfter: time.Minute}, sidewalk)
		if err != nil {
			t.Fatal(err)
		}
		back := 35 + tc.away
		scene := func(s int) []Detection {
			var out []Detection
			for k := range 6 {
				if k < 2 || s < 35 || s >= back {
					out = append(out, bikeAt(200+float64(k)*100, 600))
				}
			}
			return out
		}
		tr := NewTracker(TrackerConfig{})
		n := 0
		for s := 0; s < back+20; s++ {
			now := t0.Add(time.Duration(s) * time.Second)
			n += len(rule.Update(tr.Update(scene(s), now), frameW, frameH, now))
			if want, ok := tc.restings[s]; ok && len(rule.Resting()) != want {
				t.Errorf("%s: at %d s %d at rest, want %d", tc.name, s, len(rule.Resting()), want)
			}
		}
		if n != tc.events {
			t.Errorf("%s: %d events, want %d", tc.name, n, tc.events)
		}
	}
}
