package pipeline

import (
	"image"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/detect"
)

// TestCountCaseFollowsGroup: six bicycles parked in a zone open one count
// case with count 6; when one is taken away (80 s) an "updated" carries
// count 5, its five bicycles and their smaller box; when three more go
// (120 s) and two stay, below min_count, the case closes after
// close_after, with the last group it had.
func TestCountCaseFollowsGroup(t *testing.T) {
	t.Parallel()
	bike := func(k int) image.Rectangle { return image.Rect(40+k*95, 250, 120+k*95, 300) }
	cfg := &config.Config{
		Cameras: []config.Camera{{ID: "c", URL: "rtsp://127.0.0.1:1/x", DetectInterval: time.Second,
			Zones: []config.Zone{{ID: "z", Rules: []string{"bikes"}, Polygon: [][]float64{{0, 0.5}, {1, 0.5}, {1, 1}, {0, 1}}}}}},
		Rules:   []config.Rule{{ID: "bikes", Kind: config.KindCount, Code: "0506", Classes: []string{"bicycle"}, MinDwell: 10 * time.Second}},
		Cases:   config.Lifecycle{CloseAfter: 30 * time.Second},
		DataDir: t.TempDir(),
	}
	cfg.ApplyDefaults()
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	det := &scripted{t0: t0, at: func(s time.Duration) []detect.Detection {
		n := 6
		switch {
		case s >= 120*time.Second:
			n = 2
		case s >= 80*time.Second:
			n = 5
		}
		var out []detect.Detection
		for k := range n {
			out = append(out, detect.Detection{Class: 1, Label: "bicycle", Score: 0.7, Box: bike(k)})
		}
		return out
	}}
	_, rec := playScripted(t, cfg, det, Deps{}, 200)
	var counts []int
	var events []string
	var widths []float64
	for _, c := range rec.got {
		if c.Why == nil {
			t.Fatalf("%s without an explanation", c.Event)
		}
		events, counts = append(events, c.Event), append(counts, c.Why.Count)
		if len(c.Objects) != c.Why.Count {
			t.Errorf("%s: %d objects, count %d", c.Event, len(c.Objects), c.Why.Count)
		}
		w := 0.0
		for _, o := range c.Objects {
			w = max(w, o.Box[0]+o.Box[2])
		}
		widths = append(widths, w)
	}
	want := []string{"", cases.EventUpdated, cases.EventClosed}
	if len(events) != 3 || events[0] != want[0] || events[1] != want[1] || events[2] != want[2] {
		t.Fatalf("events %q, want %q", events, want)
	}
	if counts[0] != 6 || counts[1] != 5 || counts[2] != 5 || widths[1] >= widths[0] {
		t.Errorf("counts %v, right edges %v: want 6, 5, 5 and a smaller group after 80 s", counts, widths)
	}
	if at := rec.got[2].At.Sub(t0); at < 150*time.Second || at > 165*time.Second {
		t.Errorf("closed at %v, want 30 s after the group fell below 3 (120 s + the tracks' 10 s)", at)
	}
}
