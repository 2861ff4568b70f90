package detect

import (
	"slices"
	"testing"
	"time"
)

var sidewalk = Zone{ID: "sidewalk", Polygon: []Point{{0.05, 0.3}, {0.95, 0.3}, {0.95, 0.95}, {0.05, 0.95}}}

// person is a 40x100 person whose feet are at (x, y) pixels.
func person(x, y float64) Detection { return det("person", 0.8, int(x)-20, int(y)-100, 40, 100) }

// umbrellaOver is a 120x50 stall umbrella above a person standing at (x, y).
func umbrellaOver(x, y float64) Detection {
	return det("umbrella", 0.6, int(x)-60, int(y)-160, 120, 50)
}

// tableAt is a 100x40 table standing at (x, y).
func tableAt(x, y float64) Detection { return det("dining table", 0.5, int(x)-50, int(y)-40, 100, 40) }

// backpackOn is a backpack worn by the person standing at (x, y).
func backpackOn(x, y float64) Detection { return det("backpack", 0.5, int(x)-15, int(y)-80, 30, 35) }

type eventRule interface {
	Update(tracks []*Track, frameW, frameH int, now time.Time) []Event
}

// run feeds scene (one frame per second for secs seconds) through a Tracker
// and rule and returns the events by second.
func run(t *testing.T, rule eventRule, secs int, scene func(s int) []Detection) map[int][]Event {
	t.Helper()
	tr := NewTracker(TrackerConfig{})
	out := map[int][]Event{}
	for s := 0; s < secs; s++ {
		now := t0.Add(time.Duration(s) * time.Second)
		if ev := rule.Update(tr.Update(scene(s), now), frameW, frameH, now); ev != nil {
			out[s] = ev
		}
	}
	return out
}

// between reports whether lo <= s < hi.
func between(s, lo, hi int) bool { return s >= lo && s < hi }

// walkers are pedestrians crossing the frame at 80 px/s, one starting every
// 7s, every other one with a companion, passing a lone stall umbrella.
func walkers(s int) []Detection { return walkersAt(float64(s)) }

func walkersAt(s float64) []Detection {
	out := []Detection{det("umbrella", 0.6, 580, 300, 120, 50)}
	for k := 0; float64(k*7) <= s; k++ {
		x := 40 + 80*(s-float64(k*7))
		if x > 1260 {
			continue
		}
		y := 420 + float64(k%4)*60
		out = append(out, person(x, y))
		if k%2 == 0 {
			out = append(out, person(x-50, y+10))
		}
	}
	return out
}

func TestGathering(t *testing.T) {
	type want struct {
		at              int
		members, stalls int
	}
	vendor := func(s int) []Detection { // from 10s, jittering a little
		if s < 10 {
			return nil
		}
		x := 640 + float64(s%3*6-6)
		return []Detection{person(x, 500), umbrellaOver(640, 500)}
	}
	tests := []struct {
		name  string
		mod   func(*GatheringConfig)
		secs  int
		scene func(s int) []Detection
		want  []want
	}{
		{"vendor with umbrella fires once", nil, 400, vendor, []want{{70, 1, 1}}},
		{"vendor beside a static object (a cart the detector cannot name)", func(c *GatheringConfig) {
			c.StallClasses = append(slices.Clone(DefaultStallClasses), "static_object")
		}, 400, func(s int) []Detection {
			if s < 10 {
				return nil
			}
			return []Detection{person(640, 500), det("static_object", 1, 670, 440, 90, 60)}
		}, []want{{70, 1, 1}}},
		{"a static object is no stall unless listed", nil, 400, func(s int) []Detection {
			if s < 10 {
				return nil
			}
			return []Detection{person(640, 500), det("static_object", 1, 670, 440, 90, 60)}
		}, []want{{190, 1, 0}}},
		{"two vendors with umbrella and table", func(c *GatheringConfig) { c.MinPeople = 2 }, 400,
			func(s int) []Detection {
				var d []Detection
				if s >= 10 {
					d = append(d, person(600, 500), umbrellaOver(600, 500), tableAt(640, 540))
				}
				if s >= 20 {
					d = append(d, person(690, 505))
				}
				return d
			}, []want{{80, 2, 2}}},
		{"people without stall fire after MinDwellNoStall", func(c *GatheringConfig) { c.MinPeople = 2 }, 400,
			func(s int) []Detection { return []Detection{person(600, 500), person(660, 500)} },
			[]want{{180, 2, 0}}},
		{"no firing without stall when disabled", func(c *GatheringConfig) { c.MinDwellNoStall = -1 }, 400,
			func(s int) []Detection { return []Detection{person(600, 500)} }, nil},
		{"too few people", func(c *GatheringConfig) { c.MinPeople = 3 }, 400,
			func(s int) []Detection {
				return []Detection{person(600, 500), person(660, 500), umbrellaOver(600, 500)}
			}, nil},
		{"pedestrians walking through never fire", func(c *GatheringConfig) {
			c.MinDwell, c.MinDwellNoStall = 5*time.Second, 8*time.Second
		}, 600, walkers, nil},
		{"two separate groups fire twice", nil, 200,
			func(s int) []Detection {
				return []Detection{person(300, 500), umbrellaOver(300, 500), person(1000, 450), tableAt(1050, 460)}
			}, []want{{60, 1, 1}, {60, 1, 1}}},
		{"group returning after dispersing fires again", nil, 400,
			func(s int) []Detection {
				if between(s, 100, 200) {
					return nil
				}
				return []Detection{person(640, 500), umbrellaOver(640, 500)}
			}, []want{{60, 1, 1}, {260, 1, 1}}},
		{"group back within DisperseAfter does not fire again", nil, 400,
			func(s int) []Detection {
				if between(s, 100, 130) {
					return nil
				}
				return []Detection{person(640+float64(s/130)*30, 500), umbrellaOver(640, 500)}
			}, []want{{60, 1, 1}}},
		{"carried backpacks are not stalls", func(c *GatheringConfig) { c.MinPeople = 2 }, 400,
			func(s int) []Detection {
				return []Detection{person(600, 500), backpackOn(600, 500), person(660, 500), backpackOn(660, 500)}
			}, []want{{180, 2, 0}}},
		{"stall too far away", nil, 400,
			func(s int) []Detection { return []Detection{person(300, 500), umbrellaOver(900, 500)} },
			[]want{{180, 1, 0}}},
		{"vendor in a mask", func(c *GatheringConfig) { c.Masks = [][]Point{{{0.4, 0.6}, {0.6, 0.6}, {0.6, 0.8}, {0.4, 0.8}}} },
			400, vendor, nil},
		{"outside the schedule", func(c *GatheringConfig) { c.Windows, c.Location = mustWindows(t, "09:00-18:00"), time.UTC },
			400, vendor, nil},
		{"schedule opening", func(c *GatheringConfig) { c.Windows, c.Location = mustWindows(t, "08:01-18:00"), time.UTC },
			400, vendor, []want{{120, 1, 1}}},
		{"small people ignored", func(c *GatheringConfig) { c.MinBoxSize = 0.2 }, 400, vendor, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := GatheringConfig{ID: "vending", Code: "0501", Name: "无照经营游商", MinDwell: time.Minute}
			if tc.mod != nil {
				tc.mod(&cfg)
			}
			g, err := NewGathering(cfg, sidewalk)
			if err != nil {
				t.Fatal(err)
			}
			events := run(t, g, tc.secs, tc.scene)
			var got []want
			secs := make([]int, 0, len(events))
			for s := range events {
				secs = append(secs, s)
			}
			slices.Sort(secs)
			for _, s := range secs {
				for _, ev := range events[s] {
					t.Logf("%ds: track %d members %v stalls %v dwell %v box %v", s, ev.TrackID, ev.Members, ev.Stalls, ev.Dwell, ev.Box)
					got = append(got, want{s, len(ev.Members), len(ev.Stalls)})
					checkGatheringEvent(t, ev, t0.Add(time.Duration(s)*time.Second))
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("events (second, members, stalls) %v, want %v", got, tc.want)
			}
		})
	}
}

func checkGatheringEvent(t *testing.T, ev Event, now time.Time) {
	t.Helper()
	if ev.Kind != KindGathering || ev.RuleID != "vending" || ev.Code != "0501" || ev.ZoneID != "sidewalk" ||
		ev.Label != "person" || len(ev.Members) == 0 || ev.TrackID != ev.Members[0] ||
		len(ev.Objects) != len(ev.Members)+len(ev.Stalls) || !ev.ConfirmedAt.Equal(now) ||
		!ev.FirstSeen.Add(ev.Dwell).Equal(now) || !slices.IsSorted(ev.Members) || !slices.IsSorted(ev.Stalls) {
		t.Errorf("event %+v", ev)
	}
	for _, o := range ev.Objects {
		if !o.Box.In(ev.Box) || (o.Role != RoleMember && o.Role != RoleStall) {
			t.Errorf("object %+v outside event box %v", o, ev.Box)
		}
	}
}

func TestNewGatheringValidation(t *testing.T) {
	tests := []struct {
		name string
		cfg  GatheringConfig
		ok   bool
	}{
		{"ok", GatheringConfig{ID: "g", MinDwell: time.Minute}, true},
		{"no id", GatheringConfig{MinDwell: time.Minute}, false},
		{"no dwell", GatheringConfig{ID: "g"}, false},
		{"negative people", GatheringConfig{ID: "g", MinDwell: time.Minute, MinPeople: -1}, false},
		{"zone mismatch", GatheringConfig{ID: "g", MinDwell: time.Minute, ZoneID: "x"}, false},
		{"negative distance", GatheringConfig{ID: "g", MinDwell: time.Minute, StallDistance: -1}, false},
		{"bad score", GatheringConfig{ID: "g", MinDwell: time.Minute, MinScore: 2}, false},
	}
	for _, tc := range tests {
		g, err := NewGathering(tc.cfg, sidewalk)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
			continue
		}
		if err == nil && (g.cfg.MinPeople != 1 || g.cfg.MinDwellNoStall != 3*time.Minute ||
			!slices.Equal(g.cfg.StallClasses, DefaultStallClasses) || g.cfg.DisperseAfter != DefaultDisperseAfter) {
			t.Errorf("%s: defaults not applied: %+v", tc.name, g.cfg)
		}
	}
}

func TestGatheringWalkersTracked(t *testing.T) {
	// At 5 fps the tracker follows each walker; still nobody is at rest.
	g, err := NewGathering(GatheringConfig{ID: "vending", MinDwell: 5 * time.Second, MinDwellNoStall: 8 * time.Second}, sidewalk)
	if err != nil {
		t.Fatal(err)
	}
	tr := NewTracker(TrackerConfig{})
	var tracks []*Track
	for i := 0; i < 300*fps; i++ {
		at := time.Duration(i) * frameDur
		tracks = tr.Update(walkersAt(at.Seconds()), t0.Add(at))
		if ev := g.Update(tracks, frameW, frameH, t0.Add(at)); len(ev) > 0 {
			t.Fatalf("%v: %+v", at, ev)
		}
	}
	last := tracks[len(tracks)-1].ID
	t.Logf("%d tracks", last)
	if last > 100 {
		t.Errorf("%d tracks for about 64 walkers: tracking broke", last)
	}
}

func TestGatheringMaskedAfterRest(t *testing.T) {
	// A vendor at rest who steps into a mask does not count while there.
	cfg := GatheringConfig{ID: "vending", MinDwell: time.Minute,
		Masks: [][]Point{{{0.515, 0.6}, {0.7, 0.6}, {0.7, 0.8}, {0.515, 0.8}}}}
	g, err := NewGathering(cfg, sidewalk)
	if err != nil {
		t.Fatal(err)
	}
	events := run(t, g, 200, func(s int) []Detection {
		x := 650.0 // anchor x 0.508: outside the mask
		if s >= 30 {
			x = 668 // 0.522: inside, within MaxMovement of the rest place
		}
		return []Detection{person(x, 500), umbrellaOver(650, 500)}
	})
	if len(events) != 0 {
		t.Fatalf("events %v", events)
	}
	if st := g.state[1]; len(g.state) != 1 || st == nil || !st.resting || !st.ignored {
		t.Fatalf("person states %v: the step must keep track 1 at rest, ignored", g.state)
	}
}
