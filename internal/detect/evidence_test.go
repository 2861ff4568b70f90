package detect

import (
	"image"
	"math/rand"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/media"
)

// Pictures for the evidence tests: 320x180, a tiled grey ground, objects
// drawn as boxes of coloured blocks, one pattern per object.
const picW, picH = 320, 180

// spot is where the objects of the evidence tests park: its anchor lies
// in parkingZone.
var spot = image.Rect(120, 100, 200, 150)

// drawn is one object in a picture: its box and pattern (0: none).
type drawn struct {
	box     image.Rectangle
	pattern int64
}

func picture(objs []drawn, noise *rand.Rand) *media.Image {
	img := &media.Image{Width: picW, Height: picH, BGR: make([]byte, picW*picH*3)}
	for y := 0; y < picH; y++ {
		for x := 0; x < picW; x++ {
			v := 100 + ((x/16+y/12)%3)*20
			for c := 0; c < 3; c++ {
				img.BGR[(y*picW+x)*3+c] = byte(v)
			}
		}
	}
	for _, o := range objs {
		r := rand.New(rand.NewSource(o.pattern))
		for by := o.box.Min.Y; by < o.box.Max.Y; by += 8 {
			for bx := o.box.Min.X; bx < o.box.Max.X; bx += 8 {
				col := [3]int{r.Intn(256), r.Intn(256), r.Intn(256)}
				for y := by; y < min(by+8, o.box.Max.Y, picH); y++ {
					for x := bx; x < min(bx+8, o.box.Max.X, picW); x++ {
						for c := 0; c < 3; c++ {
							img.BGR[(y*picW+x)*3+c] = byte(col[c])
						}
					}
				}
			}
		}
	}
	for i := range img.BGR {
		img.BGR[i] = byte(max(0, min(255, int(img.BGR[i])+noise.Intn(7)-3)))
	}
	return img
}

// frame is one second of an evidence scene: what is drawn and what the
// detector reports.
type frame struct {
	objs []drawn
	dets []Detection
}

// runEvidence plays one picture per second through Tracker (Update and
// See) and a parking rule.
func runEvidence(t *testing.T, minDwell time.Duration, n int, scene func(s int) frame) []firing {
	t.Helper()
	rule := newParkingRule(t, minDwell, nil)
	tr := NewTracker(TrackerConfig{})
	noise := rand.New(rand.NewSource(9))
	var out []firing
	for s := 0; s < n; s++ {
		at := time.Duration(s) * time.Second
		f := scene(s)
		tr.Update(f.dets, t0.Add(at))
		tracks := tr.See(picture(f.objs, noise), t0.Add(at))
		for _, ev := range rule.Update(tracks, picW, picH, t0.Add(at)) {
			out = append(out, firing{at, ev})
		}
	}
	return out
}

func boxDet(label string, score float32, b image.Rectangle) Detection {
	return Detection{Label: label, Score: score, Box: b}
}

func TestStationaryEvidence(t *testing.T) {
	t.Parallel()
	bus := image.Rect(90, 60, 260, 175)
	for _, tc := range []struct {
		name     string
		minDwell time.Duration
		n        int
		scene    func(s int) frame
		want     []time.Duration // firing times
		check    func(t *testing.T, why Explanation)
	}{
		{"another car stops where one left (a queue at a light)", 60 * time.Second, 100, func(s int) frame {
			switch {
			case s < 40:
				return frame{[]drawn{{spot, 1}}, []Detection{boxDet("car", 0.8, spot)}}
			case s < 44: // the spot empty, in plain view
				return frame{}
			default:
				return frame{[]drawn{{spot, 2}}, []Detection{boxDet("car", 0.8, spot)}}
			}
		}, nil, nil},
		{"different vehicles crossing one spot now and then", 30 * time.Second, 120, func(s int) frame {
			if s%4 != 0 {
				return frame{}
			}
			return frame{[]drawn{{spot, int64(s)}}, []Detection{boxDet("car", 0.8, spot)}}
		}, nil, nil},
		{"a fixture there from the start, scoring 0.32 (a hoarding as a truck)", 30 * time.Second, 120, func(s int) frame {
			return frame{[]drawn{{spot, 1}}, []Detection{boxDet("truck", 0.32, spot)}}
		}, nil, nil},
		{"label flips and score dips", 30 * time.Second, 60, func(s int) frame {
			f := frame{objs: []drawn{{spot, 1}}}
			switch {
			case s%5 == 4: // below the detector threshold: missed
			case s%2 == 0:
				f.dets = []Detection{boxDet("car", 0.7, spot)}
			default:
				f.dets = []Detection{boxDet("truck", 0.55, spot)}
			}
			return f
		}, []time.Duration{30 * time.Second}, func(t *testing.T, why Explanation) {
			if why.Gaps < 4 || why.Presence < 0.99 || why.Score < 0.55 || why.Score > 0.7 || why.LookMatch < 0.9 {
				t.Fatalf("explanation %+v: want gaps >= 4, presence 1 (missed pictures still show it), median 0.55-0.7, look >= 0.9", why)
			}
		}},
		{"a car scoring 0.32 that drives in", 30 * time.Second, 60, func(s int) frame {
			if s < 5 {
				return frame{}
			}
			return frame{[]drawn{{spot, 1}}, []Detection{boxDet("car", 0.32, spot)}}
		}, []time.Duration{35 * time.Second}, func(t *testing.T, why Explanation) {
			if why.PresentAtStart || why.Score != 0.32 {
				t.Fatalf("explanation %+v: want arrived, median 0.32", why)
			}
		}},
		{"parked car hidden by a stopped bus", 40 * time.Second, 70, func(s int) frame {
			if s >= 20 && s < 50 {
				return frame{[]drawn{{spot, 1}, {bus, 7}}, []Detection{boxDet("bus", 0.9, bus)}}
			}
			return frame{[]drawn{{spot, 1}}, []Detection{boxDet("car", 0.8, spot)}}
		}, []time.Duration{50 * time.Second}, func(t *testing.T, why Explanation) {
			if why.Presence < 0.99 || why.Gaps != 1 || !why.PresentAtStart {
				t.Fatalf("explanation %+v: want presence 1 (hidden pictures do not count), 1 gap, present at start", why)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := runEvidence(t, tc.minDwell, tc.n, tc.scene)
			if len(got) != len(tc.want) {
				t.Fatalf("%d events %+v, want at %v", len(got), got, tc.want)
			}
			for i, f := range got {
				if d := f.at - tc.want[i]; d < 0 || d > 2*time.Second {
					t.Errorf("event %d at %v, want %v", i, f.at, tc.want[i])
				}
				if f.ev.Why.Dwell != f.ev.Dwell || f.ev.Why.Pictures < 5 {
					t.Errorf("explanation %+v does not match dwell %v", f.ev.Why, f.ev.Dwell)
				}
				if tc.check != nil {
					tc.check(t, f.ev.Why)
				}
			}
		})
	}
}

// TestLookMatch: the same object under noise and other light matches, a
// different one at the same place and the empty ground do not.
func TestLookMatch(t *testing.T) {
	noise := rand.New(rand.NewSource(1))
	car := LookAt(picture([]drawn{{spot, 1}}, noise), spot)
	same := LookAt(picture([]drawn{{spot, 1}}, noise), spot.Add(image.Pt(3, 2)))
	dark := picture([]drawn{{spot, 1}}, noise)
	for i := range dark.BGR {
		dark.BGR[i] = byte(float64(dark.BGR[i]) * 0.6)
	}
	for _, tc := range []struct {
		name   string
		other  Look
		lo, hi float64
	}{
		{"same, jittered box", same, 0.8, 1},
		{"same, 40 % darker", LookAt(dark, spot), 0.8, 1},
		{"another car", LookAt(picture([]drawn{{spot, 2}}, noise), spot), -1, 0.5},
		{"empty ground", LookAt(picture(nil, noise), spot), -1, 0.5},
		{"unknown", Look{}, 1, 1},
	} {
		if m := car.Match(tc.other); m < tc.lo || m > tc.hi {
			t.Errorf("%s: match %.2f, want %.2f..%.2f", tc.name, m, tc.lo, tc.hi)
		}
	}
	if l := LookAt(&media.Image{Width: 10, Height: 10, BGR: make([]byte, 5)}, spot); l.Known() {
		t.Error("look from a short buffer")
	}
	if l := LookAt(picture(nil, noise), image.Rect(500, 500, 600, 600)); l.Known() {
		t.Error("look from outside the picture")
	}
}
