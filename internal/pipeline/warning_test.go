package pipeline

import (
	"image"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/detect"
)

// TestCorrectionWindow: a rule with correction_window 60s warns when its
// dwell (20 s) is reached. A car that leaves 30 s after the warning gets
// "warning" then "withdrawn" and no case; one that stays gets "warning"
// and, 60 s later, "opened" (seq 2, confirmed at the window's end); a car
// hidden for 10 s across the window's end (a passing bus) still opens it.
func TestCorrectionWindow(t *testing.T) {
	t.Parallel()
	car := image.Rect(100, 200, 300, 330)
	for _, tc := range []struct {
		name    string
		present func(s time.Duration) bool
		want    []string
		openAt  time.Duration // the opened event's confirmed_at (from t0)
		counts  WarningCounts
	}{
		{"leaves", func(s time.Duration) bool { return s < 50*time.Second },
			[]string{cases.EventWarning, cases.EventWithdrawn}, 0, WarningCounts{Warned: 1, Withdrawn: 1}},
		{"stays", func(time.Duration) bool { return true },
			[]string{cases.EventWarning, cases.EventOpened, cases.EventUpdated}, 80 * time.Second, WarningCounts{Warned: 1, Opened: 1}},
		{"hidden at the end", func(s time.Duration) bool { return s < 75*time.Second || s >= 85*time.Second },
			[]string{cases.EventWarning, cases.EventOpened, cases.EventUpdated}, 85 * time.Second, WarningCounts{Warned: 1, Opened: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := &config.Config{
				Cameras: []config.Camera{{ID: "c", URL: "rtsp://127.0.0.1:1/x", DetectInterval: time.Second,
					Zones: []config.Zone{{ID: "z", Rules: []string{"park"}, Polygon: [][]float64{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}}}},
				Rules: []config.Rule{{ID: "park", Code: "0505", Classes: []string{"car"}, MinDwell: 20 * time.Second,
					CorrectionWindow: time.Minute}},
				DataDir: t.TempDir(),
			}
			cfg.ApplyDefaults()
			cfg.Cases.UpdateInterval = 30 * time.Second
			t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
			det := &scripted{t0: t0, at: func(s time.Duration) []detect.Detection {
				if !tc.present(s) {
					return nil
				}
				return []detect.Detection{{Class: 2, Label: "car", Score: 0.8, Box: car}}
			}}
			p, rec := playScripted(t, cfg, det, Deps{}, 120)
			var got []string
			for i, c := range rec.got {
				got = append(got, c.Event)
				if c.Seq != i+1 || c.Warning == nil || c.Warning.WindowS != 60 {
					t.Errorf("event %d %s: seq %d, warning %+v", i, c.Event, c.Seq, c.Warning)
				}
				switch c.Event {
				case cases.EventWarning:
					if c.Clips != nil || !c.Warning.Until.Equal(c.Warning.At.Add(time.Minute)) {
						t.Errorf("warning: clip source %v, window %+v", c.Clips, c.Warning)
					}
				case cases.EventOpened:
					if at := c.ConfirmedAt.Sub(t0); at != tc.openAt || c.Clips == nil {
						t.Errorf("opened: confirmed at %v, want %v; clip source %v", at, tc.openAt, c.Clips)
					}
				}
			}
			t.Logf("events %v", got)
			if len(got) < len(tc.want) || len(got) > len(tc.want)+1 {
				t.Fatalf("events %v, want %v", got, tc.want)
			}
			for i, e := range tc.want {
				if got[i] != e {
					t.Fatalf("events %v, want %v", got, tc.want)
				}
			}
			if n := p.Stats()["c"].Warnings["park"]; n != tc.counts {
				t.Errorf("counts %+v, want %+v", n, tc.counts)
			}
		})
	}
}
