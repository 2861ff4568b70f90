package pipeline

import (
	"image"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/detect"
	"github.com/patrol-city/patrol/internal/media"
)

// TestSeverityAndPlace: a car parked 30 minutes under a rule with the steps
// 一般 after 15m and 严重 after 25m opens at 一般 (its dwell of 20 m is
// past the first step), is updated at once when it reaches 严重, closes
// with the level it had, and every event carries the camera's place.
func TestSeverityAndPlace(t *testing.T) {
	t.Parallel()
	car := image.Rect(100, 200, 300, 330)
	lat, lon := 31.2304, 121.4737
	cfg := &config.Config{
		Cameras: []config.Camera{{ID: "c", URL: "rtsp://127.0.0.1:1/x", DetectInterval: time.Second,
			Address: "人民路 1 号", Grid: "310101001001001", Latitude: &lat, Longitude: &lon,
			Zones: []config.Zone{{ID: "z", Rules: []string{"park"}, Polygon: [][]float64{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}}}},
		Rules: []config.Rule{{ID: "park", Code: "0505", Classes: []string{"car"}, MinDwell: 20 * time.Minute,
			Severity: []config.SeverityStep{{After: 15 * time.Minute, Level: "一般"}, {After: 25 * time.Minute, Level: "严重"}}}},
		Cases:    config.Lifecycle{UpdateInterval: time.Hour},
		Evidence: config.Evidence{Kind: "dir", Dir: t.TempDir()},
		DataDir:  t.TempDir(),
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	det := &scripted{t0: t0, at: func(s time.Duration) []detect.Detection {
		if s < 30*time.Minute {
			return []detect.Detection{{Class: 2, Label: "car", Score: 0.8, Box: car}}
		}
		return nil
	}}
	rec := &recorder{}
	p, err := New(cfg, Deps{Detector: det, Publisher: rec})
	if err != nil {
		t.Fatal(err)
	}
	go p.books.run()
	defer p.books.close()
	img := media.Image{Width: 640, Height: 360, BGR: make([]byte, 640*360*3)}
	for i := 0; i < 35*60; i += 5 {
		det.now = t0.Add(time.Duration(i) * time.Second)
		p.cameras[0].process(media.Frame{Image: img, Recv: det.now}, det)
	}
	type ev struct{ event, severity string }
	var got []ev
	for _, c := range rec.got {
		e := c.Event
		if e == "" {
			e = "opened"
		}
		got = append(got, ev{e, c.Severity})
		if c.Camera.Address != "人民路 1 号" || c.Camera.Grid != "310101001001001" || c.Camera.Latitude == nil || *c.Camera.Longitude != lon {
			t.Errorf("%s: camera place %+v", e, c.Camera)
		}
	}
	want := []ev{{"opened", "一般"}, {"updated", "严重"}, {"closed", "严重"}}
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d: %v, want %v", i, got[i], want[i])
		}
	}
	if at := rec.got[1].At.Sub(t0); at < 25*time.Minute || at > 25*time.Minute+10*time.Second {
		t.Errorf("severity update at %v, want right after 25m of dwell", at)
	}
}
