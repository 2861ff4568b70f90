package ingest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/media"
)

func TestHistoryBounds(t *testing.T) {
	t0 := time.Unix(1000, 0)
	for _, tc := range []struct {
		name     string
		maxBytes int64
		maxAge   time.Duration
	}{
		{"by age", 1 << 30, 5 * time.Second},
		{"by bytes", 20_000, time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "h")
			h, err := OpenHistory(dir, "cam", tc.maxBytes, tc.maxAge, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			for g := 0; g < 30; g++ { // 30 GOPs of 1 s, 10 units of 100 bytes
				var gop []media.AccessUnit
				for i := 0; i < 10; i++ {
					gop = append(gop, unitAt(t0, g*10+i, 10, 100))
				}
				if err := h.Append(media.Params{Codec: media.H264}, gop); err != nil {
					t.Fatal(err)
				}
			}
			files, bytes, span := h.Stats()
			entries, _ := os.ReadDir(filepath.Join(dir, "cam"))
			if len(entries) != files || files == 30 || bytes > tc.maxBytes+5000 || span > tc.maxAge+time.Second {
				t.Fatalf("files %d (dir %d), bytes %d, span %v", files, len(entries), bytes, span)
			}
			_, units, err := h.Range(t0.Add(27500*time.Millisecond), t0.Add(29*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			if len(units) == 0 || !units[0].Key || units[0].Recv != t0.Add(27*time.Second) || units[len(units)-1].Recv != t0.Add(29*time.Second) {
				t.Fatalf("range: %d units from %v", len(units), units[0].Recv)
			}
			if err := h.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(dir, "cam")); !os.IsNotExist(err) {
				t.Fatal("history directory left behind")
			}
		})
	}
}

// TestCameraClipsReachIntoHistory: with a 2 s ring, a clip of 5 s ending
// now still starts 5 s back, at a key unit, read from the disk history.
func TestCameraClipsReachIntoHistory(t *testing.T) {
	t.Parallel()
	url := serveStream(t, testStream(t, media.H264, 10, 10, 100))
	dir := filepath.Join(t.TempDir(), "history")
	cam, err := New(Config{CameraID: "c", URL: url, BufferDuration: 2 * time.Second, HistoryRoot: dir},
		Deps{NewDecoder: newDecoder, OnFrame: func(media.Frame) {}})
	if err != nil {
		t.Fatal(err)
	}
	stop := startCameras(cam)
	time.Sleep(9 * time.Second)
	now := time.Now()
	_, ringUnits := cam.Ring().Range(now.Add(-5*time.Second), now)
	_, units := cam.Clips().Range(now.Add(-5*time.Second), now)
	stop()
	if len(units) == 0 || !units[0].Key {
		t.Fatal("no clip from the history")
	}
	span := units[len(units)-1].Recv.Sub(units[0].Recv)
	t.Logf("ring alone: %d units; ring + history: %d units over %v", len(ringUnits), len(units), span)
	if span < 4500*time.Millisecond || len(units) <= len(ringUnits) {
		t.Fatalf("clip spans %v (%d units, ring alone %d)", span, len(units), len(ringUnits))
	}
	for i := 1; i < len(units); i++ {
		if units[i].PTS <= units[i-1].PTS {
			t.Fatalf("PTS not increasing at %d", i)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "c")); !os.IsNotExist(err) {
		t.Fatal("history directory left behind after Run")
	}
}
