package picture

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/media"
)

// scene draws a textured picture; noise adds sensor noise, dark dims it.
func scene(seed int, noise int, level float64) *media.Image {
	const w, h = 320, 180
	r := rand.New(rand.NewPCG(uint64(seed), 1))
	img := &media.Image{Width: w, Height: h, BGR: make([]byte, w*h*3)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := float64((x/20+y/20)%2*120+60) * level
			if noise > 0 {
				v += float64(r.IntN(2*noise+1) - noise)
			}
			v = max(0, min(255, v))
			o := (y*w + x) * 3
			img.BGR[o], img.BGR[o+1], img.BGR[o+2] = byte(v), byte(v), byte(v)
		}
	}
	return img
}

func TestMonitor(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	cfg := Config{FrozenAfter: 60 * time.Second, CoveredAfter: 20 * time.Second}
	for _, tc := range []struct {
		name  string
		frame func(i int) *media.Image
		want  []Change // Problem and Active only, in order
	}{
		{"live noisy camera", func(i int) *media.Image { return scene(i, 8, 1) }, nil},
		{"frozen then moving", func(i int) *media.Image {
			if i < 100 {
				return scene(1, 8, 1)
			}
			return scene(i, 8, 1)
		}, []Change{{Problem: Frozen, Active: true}, {Problem: Frozen, Active: false}}},
		{"covered then uncovered", func(i int) *media.Image {
			if i >= 10 && i < 50 {
				return scene(i, 2, 0.05)
			}
			return scene(i, 8, 1)
		}, []Change{{Problem: Covered, Active: true}, {Problem: Covered, Active: false}}},
		// A lens covered for longer than FrozenAfter by something that does
		// not move (a still black picture): covered only, not also frozen.
		{"covered still for long", func(i int) *media.Image {
			if i >= 10 && i < 120 {
				return scene(1, 0, 0.05)
			}
			return scene(i, 8, 1)
		}, []Change{{Problem: Covered, Active: true}, {Problem: Covered, Active: false}}},
		{"dark for less than CoveredAfter", func(i int) *media.Image {
			if i >= 10 && i < 25 {
				return scene(i, 2, 0.05)
			}
			return scene(i, 8, 1)
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := New(cfg)
			var got []Change
			for i := 0; i < 150; i++ {
				at := t0.Add(time.Duration(i) * time.Second)
				ch, err := m.Update(tc.frame(i), at)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, ch...)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("changes = %+v, want %d", got, len(tc.want))
			}
			for i := range got {
				if got[i].Problem != tc.want[i].Problem || got[i].Active != tc.want[i].Active {
					t.Errorf("change %d = %+v, want %+v", i, got[i], tc.want[i])
				}
				if got[i].Reason == "" {
					t.Errorf("change %d has no reason", i)
				}
			}
			if tc.name == "frozen then moving" && !got[0].At.Equal(t0.Add(60*time.Second)) {
				t.Errorf("frozen reported at %v, want after 60 s", got[0].At.Sub(t0))
			}
			if tc.name == "covered then uncovered" && !got[0].At.Equal(t0.Add(30*time.Second)) {
				t.Errorf("covered reported at %v, want 20 s after it began", got[0].At.Sub(t0))
			}
		})
	}
}

func TestMonitorBadPicture(t *testing.T) {
	m := New(Config{})
	for _, img := range []*media.Image{{}, {Width: 10, Height: 10, BGR: make([]byte, 10)}} {
		if _, err := m.Update(img, time.Now()); err == nil {
			t.Errorf("no error for %dx%d with %d bytes", img.Width, img.Height, len(img.BGR))
		}
	}
}
