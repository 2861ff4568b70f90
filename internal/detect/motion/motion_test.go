package motion

import (
	"image"
	"math/rand"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/detect"
)

const mw, mh = 640, 360

// motionZone is the lower right quarter of the frame.
var motionZone = detect.Zone{ID: "z", Polygon: []detect.Point{{X: 0.5, Y: 0.5}, {X: 1, Y: 0.5}, {X: 1, Y: 1}, {X: 0.5, Y: 1}}}

// scenery returns a textured BGR frame with per-pixel noise of +-noise.
func scenery(seed int64, noise int) []byte {
	r := rand.New(rand.NewSource(seed))
	b := make([]byte, mw*mh*3)
	for y := 0; y < mh; y++ {
		for x := 0; x < mw; x++ {
			v := 60 + (x*7+y*3)%120 + (x/16+y/16)%2*30
			for c := 0; c < 3; c++ {
				n := 0
				if noise > 0 {
					n = r.Intn(2*noise+1) - noise
				}
				b[(y*mw+x)*3+c] = byte(min(max(v+n+c*5, 0), 255))
			}
		}
	}
	return b
}

// paint adds delta to every channel in r.
func paint(b []byte, r image.Rectangle, delta int) []byte {
	out := append([]byte(nil), b...)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			for c := 0; c < 3; c++ {
				i := (y*mw+x)*3 + c
				out[i] = byte(min(max(int(out[i])+delta, 0), 255))
			}
		}
	}
	return out
}

func TestZonesChanged(t *testing.T) {
	base := scenery(1, 0)
	tests := []struct {
		name  string
		zones []detect.Zone
		next  []byte
		want  bool
	}{
		{"same picture", []detect.Zone{motionZone}, base, false},
		{"sensor noise", []detect.Zone{motionZone}, scenery(2, 5), false},
		{"object outside the zone", []detect.Zone{motionZone}, paint(base, image.Rect(40, 40, 120, 120), 80), false},
		{"object in the zone", []detect.Zone{motionZone}, paint(base, image.Rect(400, 250, 440, 290), 80), true},
		{"small object in the zone", []detect.Zone{motionZone}, paint(base, image.Rect(500, 300, 512, 312), -80), true},
		{"object just above the zone (its body)", []detect.Zone{motionZone}, paint(base, image.Rect(400, 140, 440, 170), 80), true},
		{"lighting change", []detect.Zone{motionZone}, paint(base, image.Rect(0, 0, mw, mh), 40), true},
		{"no zones: whole frame", nil, paint(base, image.Rect(40, 40, 120, 120), 80), true},
	}
	for _, tc := range tests {
		got, err := ZonesChanged(base, tc.next, mw, mh, tc.zones, Config{})
		if err != nil || got != tc.want {
			t.Errorf("%s: changed = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	if _, err := ZonesChanged(base, base[:10], mw, mh, nil, Config{}); err == nil {
		t.Error("short frame accepted")
	}
	if _, err := New(Config{Threshold: -1}, nil); err == nil {
		t.Error("negative threshold accepted")
	}
}

func TestMotionGateShouldInfer(t *testing.T) {
	g, err := New(Config{}, []detect.Zone{motionZone})
	if err != nil {
		t.Fatal(err)
	}
	base := scenery(1, 2)
	car := paint(base, image.Rect(400, 250, 480, 300), 60)
	steps := []struct {
		at      time.Duration
		frame   []byte
		changed bool // want from Changed
		infer   bool // want from ShouldInfer
	}{
		{0, base, true, true}, // no reference yet
		{time.Second, base, false, false},
		{4900 * time.Millisecond, base, false, false},
		{5 * time.Second, base, false, true}, // MaxInterval
		{6 * time.Second, car, true, true},   // a car arrives
		{7 * time.Second, car, false, false}, // and stays
		{8 * time.Second, base, true, true},  // and leaves
		{2 * time.Second, base, false, true}, // clock went back
	}
	for i, s := range steps {
		changed, err := g.Changed(s.frame, mw, mh)
		if err != nil {
			t.Fatal(err)
		}
		infer := g.ShouldInfer(changed, t0.Add(s.at))
		if changed != s.changed || infer != s.infer {
			t.Errorf("step %d at %v: changed %v infer %v, want %v %v", i, s.at, changed, infer, s.changed, s.infer)
		}
	}
}

func TestMotionGateComparesWithLastInference(t *testing.T) {
	// A slow change (a car rolling in, dusk) is small from frame to frame
	// but adds up against the frame of the last inference.
	g, _ := New(Config{MaxInterval: time.Hour}, []detect.Zone{motionZone})
	base := scenery(1, 0)
	if _, err := g.Changed(base, mw, mh); err != nil {
		t.Fatal(err)
	}
	g.ShouldInfer(true, t0)
	fired := -1
	for i := 1; i <= 10; i++ {
		f := paint(base, image.Rect(320, 180, mw, mh), 4*i)
		changed, _ := g.Changed(f, mw, mh)
		if g.ShouldInfer(changed, t0.Add(time.Duration(i)*time.Second)) {
			fired = i
			break
		}
	}
	if fired != 4 { // 16 > 12 grey levels
		t.Fatalf("inferred at step %d, want 4", fired)
	}
	// A new frame size is a change.
	small := make([]byte, 320*180*3)
	if changed, err := g.Changed(small, 320, 180); err != nil || !changed {
		t.Fatalf("size change: %v %v", changed, err)
	}
}

func BenchmarkMotionGate1080p(b *testing.B) {
	const w, h = 1920, 1080
	frame := make([]byte, w*h*3)
	for i := range frame {
		frame[i] = byte(i * 7)
	}
	g, _ := New(Config{}, []detect.Zone{motionZone})
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if _, err := g.Changed(frame, w, h); err != nil {
			b.Fatal(err)
		}
	}
}

var t0 = time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
