package static

import (
	"image"
	"math/rand"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/detect"
	"github.com/patrol-city/patrol/internal/media"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

const picW, picH = 320, 180

// ground is a textured pavement: tiles of varying grey.
func ground() []byte {
	r := rand.New(rand.NewSource(1))
	b := make([]byte, picW*picH*3)
	for ty := 0; ty < picH; ty += 12 {
		for tx := 0; tx < picW; tx += 16 {
			v := 90 + r.Intn(60)
			for y := ty; y < min(ty+12, picH); y++ {
				for x := tx; x < min(tx+16, picW); x++ {
					for c := 0; c < 3; c++ {
						b[(y*picW+x)*3+c] = byte(v + c*4)
					}
				}
			}
		}
	}
	return b
}

// scene is one picture: the ground under gain, sensor noise, and a dark
// checked object at box (empty: none).
func scene(r *rand.Rand, gain float64, box image.Rectangle) *media.Image {
	b := ground()
	for y := 0; y < picH; y++ {
		for x := 0; x < picW; x++ {
			for c := 0; c < 3; c++ {
				i := (y*picW + x) * 3
				v := float64(b[i+c])
				if (image.Point{x, y}).In(box) {
					v = 30 + float64(((x-box.Min.X)/6+(y-box.Min.Y)/6)%2)*40 + float64(c*10)
				}
				v = v*gain + float64(r.Intn(7)-3)
				b[i+c] = byte(max(0, min(255, v)))
			}
		}
	}
	return &media.Image{Width: picW, Height: picH, BGR: b}
}

func newFinder(t *testing.T) *Finder {
	t.Helper()
	zone := detect.Zone{ID: "pavement", Polygon: []detect.Point{{X: 0, Y: 0}, {X: 1, Y: 0}, {X: 1, Y: 1}, {X: 0, Y: 1}}}
	f, err := New(Config{Zones: []detect.Zone{zone}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// step is one picture of a table row: the object's box, the gain and the
// detector's tracks.
type step struct {
	box    image.Rectangle
	gain   float64
	tracks []*detect.Track
}

func TestFinder(t *testing.T) {
	t.Parallel()
	bag := image.Rect(100, 100, 136, 136)
	person := func(now time.Time) []*detect.Track {
		return []*detect.Track{{ID: 1, Label: "person", Box: image.Rect(92, 40, 146, 140), LastSeen: now}}
	}
	quiet := func(n int) []step {
		s := make([]step, n)
		for i := range s {
			s[i].gain = 1
		}
		return s
	}
	with := func(steps []step, from, to int, f func(i int, s *step)) []step {
		for i := from; i < to && i < len(steps); i++ {
			f(i, &steps[i])
		}
		return steps
	}
	for _, tc := range []struct {
		name string
		// steps are one picture per second; found is the first picture
		// index where a static object must be seen, -1 for never.
		steps func() []step
		found int
		// left is the number of static objects after the last picture
		// (-1: not checked).
		left int
	}{
		{"left object", func() []step {
			return with(quiet(12), 6, 12, func(_ int, s *step) { s.box = bag })
		}, 7, 1},
		{"light change", func() []step {
			return with(quiet(14), 6, 14, func(i int, s *step) { s.gain = []float64{0.6, 0.6, 0.6, 1.3, 1.3, 1.3, 0.8, 0.8}[i-6] })
		}, -1, 0},
		{"under a person", func() []step {
			return with(with(quiet(14), 6, 14, func(_ int, s *step) { s.box = bag }), 5, 14, func(i int, s *step) {
				s.tracks = person(t0.Add(time.Duration(i) * time.Second))
			})
		}, -1, 0},
		{"a lingering person the detector misses for three pictures", func() []step {
			return with(with(quiet(16), 6, 16, func(_ int, s *step) { s.box = bag }), 5, 16, func(i int, s *step) {
				if i < 9 || i > 11 {
					s.tracks = person(t0.Add(time.Duration(i) * time.Second))
				} else {
					s.tracks = person(t0.Add(8 * time.Second))
				}
			})
		}, 11, 0}, // seen alone once at 11, then under the person again: dropped
		{"left by a person", func() []step {
			return with(with(quiet(16), 6, 16, func(_ int, s *step) { s.box = bag }), 5, 16, func(i int, s *step) {
				s.tracks = person(t0.Add(time.Duration(min(i, 8)) * time.Second)) // gone after 8, still tracked
			})
		}, 11, 1}, // the person is seen last at 8; Recent (2s) keeps the bag theirs to 10
		{"exposure step, highlights clipped", func() []step {
			return with(quiet(16), 6, 16, func(i int, s *step) { s.gain = []float64{1.9, 1.9, 1.9, 1.9, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7}[i-6] })
		}, -1, 0},
		{"left object revealed by an exposure step", func() []step {
			return with(with(quiet(14), 7, 14, func(_ int, s *step) { s.box = bag }), 7, 14, func(_ int, s *step) { s.gain = 1.4 })
		}, 8, 1},
		{"moving object", func() []step {
			return with(quiet(14), 5, 14, func(i int, s *step) { s.box = bag.Add(image.Pt((i-5)*24-80, 0)) })
		}, -1, 0},
		{"ghost of an object there from the start", func() []step {
			return with(quiet(14), 0, 4, func(_ int, s *step) { s.box = bag })
		}, -1, 0},
		{"a second object of another size", func() []step {
			return with(quiet(12), 6, 12, func(_ int, s *step) { s.box = image.Rect(200, 60, 260, 90) })
		}, 7, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFinder(t)
			r := rand.New(rand.NewSource(2))
			first, left := -1, 0
			for i, s := range tc.steps() {
				now := t0.Add(time.Duration(i) * time.Second)
				found := f.Update(scene(r, s.gain, s.box), s.tracks, now)
				left = len(found)
				for _, tr := range found {
					if tr.Label != Label || !tr.Still || tr.ID < idBase {
						t.Fatalf("picture %d: track %+v", i, tr)
					}
					if tr.LastSeen.Equal(now) && first < 0 {
						first = i
						if !s.box.Empty() && detect.IoU(tr.Box, s.box) < 0.5 {
							t.Fatalf("picture %d: box %v, object at %v", i, tr.Box, s.box)
						}
					}
				}
			}
			if first != tc.found {
				t.Fatalf("first found at picture %d, want %d", first, tc.found)
			}
			if tc.left >= 0 && left != tc.left {
				t.Fatalf("%d static objects at the end, want %d", left, tc.left)
			}
		})
	}
}

// TestFinderZoneEdge: an object cut by the zone's edge and mostly outside
// it is not a static object of the zone; one inside it is.
func TestFinderZoneEdge(t *testing.T) {
	t.Parallel()
	left := detect.Zone{ID: "left", Polygon: []detect.Point{{X: 0, Y: 0}, {X: 0.5, Y: 0}, {X: 0.5, Y: 1}, {X: 0, Y: 1}}}
	for _, tc := range []struct {
		box  image.Rectangle
		want int
	}{
		{image.Rect(136, 60, 208, 120), 0}, // x 136-160 inside, 160-208 outside
		{image.Rect(96, 60, 152, 120), 1},
	} {
		f, err := New(Config{Zones: []detect.Zone{left}})
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewSource(4))
		n := 0
		for i := 0; i < 14; i++ {
			box := image.Rectangle{}
			if i >= 6 {
				box = tc.box
			}
			n = len(f.Update(scene(r, 1, box), nil, t0.Add(time.Duration(i)*time.Second)))
		}
		if n != tc.want {
			t.Errorf("object at %v: %d static objects, want %d", tc.box, n, tc.want)
		}
	}
}

// TestFinderForgetsRemovedObject: an object taken away is dropped after
// Forget pictures.
func TestFinderForgetsRemovedObject(t *testing.T) {
	t.Parallel()
	f := newFinder(t)
	r := rand.New(rand.NewSource(3))
	bag := image.Rect(100, 100, 136, 136)
	n := 0
	for i := 0; i < 20; i++ {
		box := image.Rectangle{}
		if i >= 6 && i < 12 {
			box = bag
		}
		n = len(f.Update(scene(r, 1, box), nil, t0.Add(time.Duration(i)*time.Second)))
		if i == 11 && n != 1 {
			t.Fatalf("picture 11: %d static objects, want the bag", n)
		}
	}
	if n != 0 {
		t.Fatalf("%d static objects left 8 pictures after the bag went", n)
	}
}

// TestFinderBadInput: pictures that cannot be read or change size are
// not a panic, and a new size restarts the background.
func TestFinderBadInput(t *testing.T) {
	f := newFinder(t)
	now := t0
	for _, img := range []*media.Image{nil, {Width: 320, Height: 180}, {Width: 2, Height: 2, BGR: make([]byte, 12)},
		{Width: 320, Height: 180, BGR: make([]byte, 100)}, {Width: 64, Height: 36, BGR: make([]byte, 64*36*3)},
		{Width: 319, Height: 179, BGR: make([]byte, 319*179*3)}} {
		now = now.Add(time.Second)
		if got := f.Update(img, nil, now); len(got) != 0 {
			t.Fatalf("%dx%d: %d static objects", img.Width, img.Height, len(got))
		}
	}
}

func TestConfigErrors(t *testing.T) {
	zone := detect.Zone{ID: "z", Polygon: []detect.Point{{X: 0, Y: 0}, {X: 1, Y: 0}, {X: 1, Y: 1}}}
	for _, cfg := range []Config{
		{},
		{Zones: []detect.Zone{{ID: "bad"}}},
		{Zones: []detect.Zone{zone}, MinArea: 0.5, MaxArea: 0.4},
		{Zones: []detect.Zone{zone}, Cell: 100},
		{Zones: []detect.Zone{zone}, LightingFrac: 2},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}
