package pipeline

import (
	"image"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/detect"
)

// TestVendingFromVehicle: a van parks at the kerb, which a parking rule
// (0505) and a vending rule (0501) both watch. With two people standing
// at its side from 3 s on, the vending case opens with the van among its
// stall objects and no parking case opens for the van; when they leave
// after 6 s, before the group fired, the parking case opens then; the
// van alone gets its parking case on time.
func TestVendingFromVehicle(t *testing.T) {
	t.Parallel()
	van := image.Rect(200, 150, 400, 260)
	off := false
	for _, tc := range []struct {
		name           string
		from, to       time.Duration // people standing at the van
		parking, vends int
		parkingAt      time.Duration // when the parking case opened
	}{
		{"selling", 3 * time.Second, time.Hour, 0, 1, 0},
		{"chat", 3 * time.Second, 14 * time.Second, 1, 0, 20 * time.Second},
		{"van alone", time.Hour, time.Hour, 1, 0, 10 * time.Second},
	} {
		cfg := &config.Config{
			Cameras: []config.Camera{{ID: "c", URL: "rtsp://127.0.0.1:1/x", DetectInterval: time.Second,
				Zones: []config.Zone{{ID: "z", Rules: []string{"park", "vend"}, Polygon: [][]float64{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}}}},
			Rules: []config.Rule{
				{ID: "park", Code: "0505", Classes: []string{"car", "truck"}, MinDwell: 10 * time.Second},
				// The scripted detector finds nothing new in the second look's crop.
				{ID: "vend", Kind: config.KindGathering, Code: "0501", Classes: []string{"person"}, MinDwell: 10 * time.Second, SecondLook: &off},
			},
			DataDir: t.TempDir(),
		}
		cfg.ApplyDefaults()
		t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		det := &scripted{t0: t0, at: func(s time.Duration) []detect.Detection {
			out := []detect.Detection{{Class: 2, Label: "car", Score: 0.8, Box: van}}
			if s >= tc.from && s < tc.to {
				out = append(out, detect.Detection{Label: "person", Score: 0.8, Box: image.Rect(410, 150, 440, 255)},
					detect.Detection{Label: "person", Score: 0.8, Box: image.Rect(450, 152, 480, 258)})
			}
			return out
		}}
		_, rec := playScripted(t, cfg, det, Deps{}, 40)
		parking, vends := 0, 0
		for _, c := range rec.got {
			if c.Event != "" && c.Event != "opened" {
				continue
			}
			switch c.Rule.ID {
			case "park":
				parking++
				if tc.parkingAt > 0 && c.ConfirmedAt.Sub(t0) != tc.parkingAt {
					t.Errorf("%s: parking case confirmed at %v, want %v", tc.name, c.ConfirmedAt.Sub(t0), tc.parkingAt)
				}
			case "vend":
				vends++
				stall := false
				for _, o := range c.Objects {
					stall = stall || (o.Role == detect.RoleStall && o.Label == "car")
				}
				if !stall {
					t.Errorf("%s: the vending case's objects %+v have no van as a stall", tc.name, c.Objects)
				}
			}
		}
		if parking != tc.parking || vends != tc.vends {
			t.Errorf("%s: %d parking and %d vending cases, want %d and %d", tc.name, parking, vends, tc.parking, tc.vends)
		}
	}
}
