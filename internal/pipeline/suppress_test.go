package pipeline

import (
	"encoding/json"
	"image"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/detect"
)

type oneSuppression struct{ s cases.Suppression }

func (o oneSuppression) Suppressed(camera, zone, label string, b [4]float64, at time.Time) (string, bool) {
	return o.s.ID, camera == o.s.CameraID && o.s.Covers(zone, label, b, at)
}

// TestSuppressedCase: two cars park in one zone; a suppression over the
// first car's place keeps its case from opening (counted), the second car
// beside it still opens one.
func TestSuppressedCase(t *testing.T) {
	t.Parallel()
	carA := image.Rect(100, 200, 300, 330) // in 640x360: x 0.16-0.47, y 0.56-0.92
	carB := image.Rect(340, 200, 540, 330)
	cfg := &config.Config{
		Cameras: []config.Camera{{ID: "c", URL: "rtsp://127.0.0.1:1/x", DetectInterval: time.Second,
			Zones: []config.Zone{{ID: "z", Rules: []string{"park"}, Polygon: [][]float64{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}}}},
		Rules:   []config.Rule{{ID: "park", Code: "0505", Classes: []string{"car"}, MinDwell: 20 * time.Second}},
		DataDir: t.TempDir(),
	}
	cfg.ApplyDefaults()
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	det := &scripted{t0: t0, at: func(time.Duration) []detect.Detection {
		return []detect.Detection{{Class: 2, Label: "car", Score: 0.8, Box: carA}, {Class: 2, Label: "car", Score: 0.8, Box: carB}}
	}}
	sup := oneSuppression{cases.Suppression{ID: "s1", CameraID: "c", ZoneID: "z", Region: [4]float64{0.14, 0.5, 0.36, 0.45},
		Classes: []string{"car"}, Expires: t0.Add(time.Hour)}}
	p, rec := playScripted(t, cfg, det, Deps{Suppressions: sup}, 40)
	if got := rec.opened(); got != 1 {
		t.Fatalf("%d cases opened, want 1 (car B's)", got)
	}
	if b := rec.got[0].Objects[0].Box; b[0] < 0.5 {
		t.Errorf("the opened case is car A's (box %v)", b)
	}
	if n := p.Stats()["c"].Suppressed; n != 1 {
		t.Errorf("suppressed %d, want 1", n)
	}
	// The open case as the case-state topic would carry it.
	raw, err := json.Marshal(p.cameras[0].book.open)
	if err != nil {
		t.Fatal(err)
	}
	if err := cases.ValidateCaseStateJSON(raw); err != nil {
		t.Errorf("case state %s: %v", raw, err)
	}
}
