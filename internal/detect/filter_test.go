package detect

import (
	"slices"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/config"
)

func mustWindows(t *testing.T, s string) []Window {
	t.Helper()
	w, err := config.ParseWindows(s)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func mustLocation(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("time zone %s: %v", name, err)
	}
	return loc
}

// TestStationaryFilters runs the parking rule (MinDwell 30s, t0 = 08:00:00
// UTC, 5 fps) over scenes with per-rule filters and tracking problems.
func TestStationaryFilters(t *testing.T) {
	const minDwell = 30 * time.Second
	parked := func(i int, at time.Duration) []Detection { return []Detection{carAt(640, 600)} }
	twoCars := func(i int, at time.Duration) []Detection {
		d := []Detection{carAt(500, 600)}
		if at >= 5*time.Second {
			d = append(d, carAt(800, 500))
		}
		return d
	}
	// jitter returns a parked object of label and size w x h whose box
	// jumps by (dx, dy) pixels and back every frame.
	jitter := func(label string, w, h, dx, dy int) func(int, time.Duration) []Detection {
		return func(i int, at time.Duration) []Detection {
			return []Detection{det(label, 0.8, 640-w/2+dx*(i%2), 600-h-dy*(i%2), w, h)}
		}
	}
	// creep returns an object of label and size w x h moving right at v
	// pixels per second.
	creep := func(label string, w, h int, v float64) func(int, time.Duration) []Detection {
		return func(i int, at time.Duration) []Detection {
			return []Detection{det(label, 0.8, 640-w/2+int(v*at.Seconds()), 600-h, w, h)}
		}
	}
	tests := []struct {
		name   string
		frames int
		mod    func(*StationaryConfig)
		scene  func(i int, at time.Duration) []Detection
		want   []time.Duration
	}{
		{"flicker: every 3rd detection missing", 60 * fps, nil,
			func(i int, at time.Duration) []Detection {
				if i%3 == 2 {
					return nil
				}
				return parked(i, at)
			}, []time.Duration{minDwell}},
		{"flicker: 4s gaps", 60 * fps, nil,
			func(i int, at time.Duration) []Detection {
				if i%(5*fps) >= fps {
					return nil
				}
				return parked(i, at)
			}, []time.Duration{minDwell}},
		// Movement relative to size: the same speed in pixels is rest for a
		// truck and movement for a scooter; the same speed in diagonals
		// per second is the same for both.
		{"truck creeping 3 px/s is at rest", 60 * fps, nil, creep("truck", 400, 200, 3), []time.Duration{minDwell}},
		{"scooter creeping 3 px/s is moving", 60 * fps, nil, creep("motorcycle", 40, 60, 3), nil},
		{"scooter creeping as slowly as the truck (relative)", 60 * fps, nil, creep("motorcycle", 40, 60, 0.45), []time.Duration{minDwell}},
		{"truck creeping as fast as the scooter (relative)", 60 * fps, nil, creep("truck", 400, 200, 19), nil},
		{"truck box jittering 30px is at rest", 60 * fps, nil, jitter("truck", 400, 200, 0, 30), []time.Duration{minDwell}},
		{"scooter box jumping back and forth is jitter, at rest", 60 * fps, nil, jitter("motorcycle", 40, 60, 0, 30), []time.Duration{minDwell}},
		{"an odd box every 5s does not restart the rest", 60 * fps, nil,
			func(i int, at time.Duration) []Detection {
				if i%25 == 12 {
					return []Detection{carAt(700, 600)}
				}
				return parked(i, at)
			}, []time.Duration{minDwell}},
		{"moved for good", 60 * fps, nil,
			func(i int, at time.Duration) []Detection {
				if at >= 20*time.Second {
					return []Detection{carAt(700, 600)}
				}
				return parked(i, at)
			}, []time.Duration{20*time.Second + frameDur + minDwell}},
		{"window opens after arrival", 60 * fps,
			func(c *StationaryConfig) { c.Windows, c.Location = mustWindows(t, "08:00:10-22:00"), time.UTC },
			parked, []time.Duration{10*time.Second + minDwell}},
		{"window closes before MinDwell", 60 * fps,
			func(c *StationaryConfig) { c.Windows, c.Location = mustWindows(t, "07:00-08:00:20"), time.UTC },
			parked, nil},
		{"second window", 60 * fps,
			func(c *StationaryConfig) { c.Windows, c.Location = mustWindows(t, "07:00-07:30,07:59-09:00"), time.UTC },
			parked, []time.Duration{minDwell}},
		{"overnight window active", 60 * fps,
			func(c *StationaryConfig) { c.Windows, c.Location = mustWindows(t, "07:59-06:00"), time.UTC },
			parked, []time.Duration{minDwell}},
		{"overnight window inactive", 60 * fps,
			func(c *StationaryConfig) { c.Windows, c.Location = mustWindows(t, "22:00-06:00"), time.UTC },
			parked, nil},
		{"Asia/Shanghai: 08:00 UTC is 16:00 there", 60 * fps,
			func(c *StationaryConfig) {
				c.Windows, c.Location = mustWindows(t, "16:00-17:00"), mustLocation(t, "Asia/Shanghai")
			}, parked, []time.Duration{minDwell}},
		{"Asia/Shanghai: 07:00-16:00 has ended", 60 * fps,
			func(c *StationaryConfig) {
				c.Windows, c.Location = mustWindows(t, "07:00-16:00"), mustLocation(t, "Asia/Shanghai")
			}, parked, nil},
		{"anchor in a mask is ignored", 60 * fps,
			func(c *StationaryConfig) { c.Masks = [][]Point{{{0.45, 0.75}, {0.55, 0.75}, {0.55, 0.9}, {0.45, 0.9}}} },
			parked, nil},
		{"mask elsewhere", 60 * fps,
			func(c *StationaryConfig) { c.Masks = [][]Point{{{0.1, 0.1}, {0.2, 0.1}, {0.2, 0.2}}} },
			parked, []time.Duration{minDwell}},
		{"two cars without cooldown", 60 * fps, nil, twoCars, []time.Duration{minDwell, minDwell + 5*time.Second}},
		{"cooldown delays the second car", 120 * fps, func(c *StationaryConfig) { c.Cooldown = time.Minute },
			twoCars, []time.Duration{minDwell, minDwell + time.Minute}},
		{"short cooldown", 60 * fps, func(c *StationaryConfig) { c.Cooldown = 2 * time.Second },
			twoCars, []time.Duration{minDwell, minDwell + 5*time.Second}},
		{"box above MinBoxSize", 60 * fps, func(c *StationaryConfig) { c.MinBoxSize = 0.2 }, parked, []time.Duration{minDwell}},
		{"box below MinBoxSize", 60 * fps, func(c *StationaryConfig) { c.MinBoxSize = 0.25 }, parked, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rule := newParkingRule(t, minDwell, func(c *StationaryConfig) {
				c.Classes = append(c.Classes, "motorcycle")
				if tc.mod != nil {
					tc.mod(c)
				}
			})
			var got []time.Duration
			for _, f := range simulate(t, rule, tc.frames, tc.scene) {
				got = append(got, f.at)
				if f.ev.Kind != KindStationary || len(f.ev.Objects) != 1 || f.ev.Objects[0].TrackID != f.ev.TrackID {
					t.Errorf("event %+v", f.ev)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("events at %v, want %v", got, tc.want)
			}
		})
	}
}

func TestStationaryFilterValidation(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*StationaryConfig)
	}{
		{"MinBoxSize above 1", func(c *StationaryConfig) { c.MinBoxSize = 1.5 }},
		{"negative MinScore", func(c *StationaryConfig) { c.MinScore = -0.1 }},
		{"negative cooldown", func(c *StationaryConfig) { c.Cooldown = -time.Second }},
		{"mask with two points", func(c *StationaryConfig) { c.Masks = [][]Point{{{0, 0}, {1, 1}}} }},
		{"bad window", func(c *StationaryConfig) { c.Windows = []Window{{Start: time.Hour, End: time.Hour}} }},
	}
	for _, tc := range tests {
		cfg := StationaryConfig{ID: "r", MinDwell: time.Second}
		tc.mod(&cfg)
		if _, err := NewStationary(cfg, parkingZone); err == nil {
			t.Errorf("%s: no error", tc.name)
		} else {
			t.Logf("%s: %v", tc.name, err)
		}
	}
}

func TestStationaryDriveAway(t *testing.T) {
	// A bus waits 20s, then drives away from the camera: after 6s its foot
	// has moved more than MaxMovement, but its box shrinks
	// towards the horizon and stays inside the box where it waited, which
	// must not count as a partly hidden bus at rest.
	rule := newParkingRule(t, 28*time.Second, nil)
	got := simulate(t, rule, 40*fps, func(i int, at time.Duration) []Detection {
		s := 1.0
		if at > 20*time.Second {
			s = 1 / (1 + 0.1*(at-20*time.Second).Seconds())
		}
		bottom := 250 + 350*s
		w, h := 400*s, 300*s
		return []Detection{det("bus", 0.9, int(600-w/2), int(bottom-h), int(w), int(h))}
	})
	if len(got) != 0 {
		t.Fatalf("events %+v", got)
	}
}
