package pipeline

import (
	"image"
	"sync"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/detect"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher"
)

// scripted is a detector whose detections depend on the picture's time.
type scripted struct {
	t0  time.Time
	now time.Time
	at  func(s time.Duration) []detect.Detection
}

func (d *scripted) DetectImage(*media.Image) ([]detect.Detection, error) {
	return d.at(d.now.Sub(d.t0)), nil
}

type recorder struct {
	mu  sync.Mutex
	got []publisher.Candidate
}

func (r *recorder) Submit(c publisher.Candidate) {
	r.mu.Lock()
	r.got = append(r.got, c)
	r.mu.Unlock()
}

func (r *recorder) opened() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.got {
		if c.Event == "" || c.Event == "opened" {
			n++
		}
	}
	return n
}

// TestOpenCaseOwnsItsPlace: a parked car's case continues through a break
// of its track (the car unseen for 70 s, longer than the tracker keeps a
// lost track, then seen again with a flipped label); a second car parked
// beside it while the first is still tracked opens its own case; and once
// the case closed, a car at the same place opens a new one; a person at
// rest at the car's place does not keep its case open.
func TestOpenCaseOwnsItsPlace(t *testing.T) {
	t.Parallel()
	carA := image.Rect(100, 200, 300, 330)
	carB := image.Rect(340, 200, 540, 330)
	tests := []struct {
		name   string
		secs   int
		at     func(s time.Duration) []detect.Detection
		opened int
	}{
		{"track breaks up, label flips", 260, func(s time.Duration) []detect.Detection {
			switch {
			case s < 60*time.Second:
				return []detect.Detection{{Class: 2, Label: "car", Score: 0.8, Box: carA}}
			case s < 130*time.Second:
				return nil // hidden: longer than the tracker's 60 s patience
			}
			return []detect.Detection{{Class: 7, Label: "truck", Score: 0.5, Box: carA.Add(image.Pt(4, 2))}}
		}, 1},
		{"a second car beside the first", 120, func(s time.Duration) []detect.Detection {
			d := []detect.Detection{{Class: 2, Label: "car", Score: 0.8, Box: carA}}
			if s >= 30*time.Second {
				d = append(d, detect.Detection{Class: 2, Label: "car", Score: 0.8, Box: carB})
			}
			return d
		}, 2},
		{"a person standing where the car was takes nothing over", 400, func(s time.Duration) []detect.Detection {
			switch {
			case s < 60*time.Second || s >= 330*time.Second:
				return []detect.Detection{{Class: 2, Label: "car", Score: 0.8, Box: carA}}
			}
			return []detect.Detection{{Class: 0, Label: "person", Score: 0.8, Box: carA}} // the case closes after 2 m
		}, 2},
		{"same place after the case closed", 400, func(s time.Duration) []detect.Detection {
			if s < 60*time.Second || s >= 250*time.Second {
				return []detect.Detection{{Class: 2, Label: "car", Score: 0.8, Box: carA}}
			}
			return nil // gone for longer than close_after (2 m)
		}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := &config.Config{
				Cameras: []config.Camera{{ID: "c", URL: "rtsp://127.0.0.1:1/x", DetectInterval: time.Second,
					Zones: []config.Zone{{ID: "z", Rules: []string{"park"}, Polygon: [][]float64{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}}}},
				Rules:   []config.Rule{{ID: "park", Code: "0505", Classes: []string{"car", "truck"}, MinDwell: 20 * time.Second}},
				DataDir: t.TempDir(),
			}
			cfg.ApplyDefaults()
			t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
			det := &scripted{t0: t0, at: tc.at}
			rec := &recorder{}
			p, err := New(cfg, Deps{Detector: det, Publisher: rec})
			if err != nil {
				t.Fatal(err)
			}
			go p.books.run()
			defer p.books.close()
			img := media.Image{Width: 640, Height: 360, BGR: make([]byte, 640*360*3)}
			for i := range tc.secs {
				det.now = t0.Add(time.Duration(i) * time.Second)
				p.cameras[0].process(media.Frame{Image: img, Recv: det.now}, det)
			}
			if got := rec.opened(); got != tc.opened {
				for _, c := range rec.got {
					t.Logf("%s %s seq %d track %d first %v", c.Event, c.CaseID, c.Seq, c.TrackID, c.FirstSeen.Sub(t0))
				}
				t.Fatalf("%d cases opened, want %d", got, tc.opened)
			}
		})
	}
}

// playScripted runs a pipeline of cfg with det (and deps) over n pictures
// of camera 0, 640x360, one second apart from det.t0, and returns the
// pipeline and what it submitted.
func playScripted(t *testing.T, cfg *config.Config, det *scripted, deps Deps, n int) (*Pipeline, *recorder) {
	t.Helper()
	rec := &recorder{}
	deps.Detector, deps.Publisher = det, rec
	p, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	go p.books.run()
	defer p.books.close()
	img := media.Image{Width: 640, Height: 360, BGR: make([]byte, 640*360*3)}
	for i := range n {
		det.now = det.t0.Add(time.Duration(i) * time.Second)
		p.cameras[0].process(media.Frame{Image: img, Recv: det.now}, det)
	}
	return p, rec
}
