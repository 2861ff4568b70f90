package detect

import (
	"math"
	"testing"
	"time"
)

const (
	frameW, frameH = 1280, 720
	fps            = 5
	frameDur       = time.Second / fps
)

var parkingZone = Zone{ID: "no-parking", Polygon: []Point{{0.25, 0.4}, {0.75, 0.4}, {0.75, 0.95}, {0.25, 0.95}}}

// carAt is a 160x90 car whose bottom centre is at (x, y) pixels.
func carAt(x, y float64) Detection {
	return det("car", 0.8, int(x)-80, int(y)-90, 160, 90)
}

type firing struct {
	at time.Duration
	ev Event
}

// simulate runs Tracker and rule over n frames; scene returns the frame's
// detections.
func simulate(t *testing.T, rule *Stationary, n int, scene func(i int, at time.Duration) []Detection) []firing {
	t.Helper()
	tr := NewTracker(TrackerConfig{})
	var out []firing
	for i := 0; i < n; i++ {
		at := time.Duration(i) * frameDur
		tracks := tr.Update(scene(i, at), t0.Add(at))
		for _, ev := range rule.Update(tracks, frameW, frameH, t0.Add(at)) {
			out = append(out, firing{at, ev})
		}
	}
	return out
}

func newParkingRule(t *testing.T, minDwell time.Duration, mod func(*StationaryConfig)) *Stationary {
	t.Helper()
	cfg := StationaryConfig{ID: "park-1", Code: "0505", Name: "机动车乱停放",
		Classes: []string{"car", "truck", "bus"}, MinDwell: minDwell}
	if mod != nil {
		mod(&cfg)
	}
	s, err := NewStationary(cfg, parkingZone)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStationaryScenarios(t *testing.T) {
	const minDwell = 30 * time.Second
	stopAt := 10 * time.Second
	tests := []struct {
		name   string
		frames int
		mod    func(*StationaryConfig)
		scene  func(i int, at time.Duration) []Detection
		// want lists when events fire, with a tolerance.
		want []time.Duration
		tol  time.Duration
	}{
		{"parked car fires once after MinDwell", 120 * fps, nil,
			func(i int, at time.Duration) []Detection { return []Detection{carAt(640, 600)} },
			[]time.Duration{minDwell}, 0},
		{"drive-through does not fire", 20 * fps, nil,
			func(i int, at time.Duration) []Detection { return []Detection{carAt(100+15*float64(i), 600)} },
			nil, 0},
		{"slow crawl through does not fire", 90 * fps, nil,
			func(i int, at time.Duration) []Detection { return []Detection{carAt(250+3*float64(i), 600)} },
			nil, 0},
		{"moving then stopping fires MinDwell after the stop", 60 * fps, nil,
			func(i int, at time.Duration) []Detection {
				x := 100 + 15*math.Min(float64(i), float64(stopAt/frameDur))
				return []Detection{carAt(x, 600)}
			},
			// The car comes to rest within MaxMovement of its final spot a
			// few frames before it actually stops.
			[]time.Duration{stopAt + minDwell}, time.Second},
		{"jittering parked car fires", 40 * fps, nil,
			func(i int, at time.Duration) []Detection {
				return []Detection{carAt(640+float64(i%3*4-4), 600+float64(i%2*4-2))}
			},
			[]time.Duration{minDwell}, 0},
		{"parked with detection dropouts fires", 40 * fps, nil,
			func(i int, at time.Duration) []Detection {
				if i%4 != 0 {
					return nil
				}
				return []Detection{carAt(640, 600)}
			},
			[]time.Duration{minDwell}, 4 * frameDur},
		{"parked outside the zone does not fire", 60 * fps, nil,
			func(i int, at time.Duration) []Detection { return []Detection{carAt(100, 600)} },
			nil, 0},
		{"leaving before MinDwell does not fire", 60 * fps, nil,
			func(i int, at time.Duration) []Detection {
				if at < 20*time.Second {
					return []Detection{carAt(640, 600)}
				}
				return []Detection{carAt(640+15*float64(i-20*fps), 600)}
			},
			nil, 0},
		{"undetected departure does not extend dwell", 60 * fps, nil,
			func(i int, at time.Duration) []Detection {
				if at < minDwell-2*time.Second { // then the tracker coasts for 5s
					return []Detection{carAt(640, 600)}
				}
				return nil
			},
			nil, 0},
		{"person is not a vehicle", 60 * fps, nil,
			func(i int, at time.Duration) []Detection { return []Detection{det("person", 0.9, 620, 500, 40, 100)} },
			nil, 0},
		{"low score ignored", 60 * fps, func(c *StationaryConfig) { c.MinScore = 0.9 },
			func(i int, at time.Duration) []Detection { return []Detection{carAt(640, 600)} },
			nil, 0},
		{"two parked cars fire once each", 60 * fps, nil,
			func(i int, at time.Duration) []Detection {
				d := []Detection{carAt(500, 600)}
				if at >= 5*time.Second {
					d = append(d, carAt(800, 500))
				}
				return d
			},
			[]time.Duration{minDwell, minDwell + 5*time.Second}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rule := newParkingRule(t, minDwell, tc.mod)
			got := simulate(t, rule, tc.frames, tc.scene)
			for _, f := range got {
				t.Logf("event at %v: dwell %v", f.at, f.ev.Dwell)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d events %+v, want %d at %v", len(got), got, len(tc.want), tc.want)
			}
			for i, f := range got {
				if d := f.at - tc.want[i]; d < -tc.tol || d > tc.tol+frameDur {
					t.Errorf("event %d at %v, want %v (tolerance %v)", i, f.at, tc.want[i], tc.tol)
				}
				ev := f.ev
				if ev.RuleID != "park-1" || ev.Code != "0505" || ev.Name != "机动车乱停放" || ev.ZoneID != "no-parking" ||
					ev.Label != "car" || ev.TrackID == 0 || ev.Box.Empty() {
					t.Errorf("event %+v", ev)
				}
				if !ev.ConfirmedAt.Equal(t0.Add(f.at)) || ev.Dwell < minDwell || !ev.FirstSeen.Add(ev.Dwell).Equal(ev.ConfirmedAt) {
					t.Errorf("event times: first %v confirmed %v dwell %v", ev.FirstSeen, ev.ConfirmedAt, ev.Dwell)
				}
			}
		})
	}
}

func TestStationaryForgetsGoneTracks(t *testing.T) {
	rule := newParkingRule(t, time.Minute, nil)
	tr := NewTracker(TrackerConfig{})
	rule.Update(tr.Update([]Detection{carAt(640, 600), carAt(400, 500)}, t0), frameW, frameH, t0)
	if len(rule.state) != 2 {
		t.Fatalf("%d states", len(rule.state))
	}
	later := t0.Add(10 * time.Second)
	rule.Update(tr.Update(nil, later), frameW, frameH, later)
	if len(rule.state) != 0 {
		t.Fatalf("%d states after tracks were dropped", len(rule.state))
	}
	if ev := rule.Update(nil, 0, 0, later); ev != nil {
		t.Fatalf("events for empty frame: %v", ev)
	}
}

func TestNewStationaryValidation(t *testing.T) {
	ok := StationaryConfig{ID: "r", MinDwell: time.Second}
	tests := []struct {
		name string
		cfg  StationaryConfig
		zone Zone
		ok   bool
	}{
		{"ok", ok, parkingZone, true},
		{"ok with zone id", StationaryConfig{ID: "r", ZoneID: "no-parking", MinDwell: time.Second}, parkingZone, true},
		{"no id", StationaryConfig{MinDwell: time.Second}, parkingZone, false},
		{"zero dwell", StationaryConfig{ID: "r"}, parkingZone, false},
		{"zone mismatch", StationaryConfig{ID: "r", ZoneID: "other", MinDwell: time.Second}, parkingZone, false},
		{"bad zone", ok, Zone{ID: "z", Polygon: []Point{{0, 0}, {1, 1}}}, false},
		{"negative movement", StationaryConfig{ID: "r", MinDwell: time.Second, MaxMovement: -1}, parkingZone, false},
	}
	for _, tc := range tests {
		s, err := NewStationary(tc.cfg, tc.zone)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err == nil && (s.cfg.MaxMovement != DefaultMaxMovement || s.cfg.ZoneID != "no-parking") {
			t.Errorf("%s: defaults not applied: %+v", tc.name, s.cfg)
		}
	}
}
