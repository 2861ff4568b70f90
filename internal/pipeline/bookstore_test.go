package pipeline

import (
	"image"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/detect"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher"
)

// parkedCar is a detector that sees the same car in every picture.
type parkedCar struct{ calls atomic.Int64 }

func (d *parkedCar) DetectImage(*media.Image) ([]detect.Detection, error) {
	d.calls.Add(1)
	return []detect.Detection{{Class: 2, Label: "car", Score: 0.9, Box: image.Rect(100, 200, 300, 330)}}, nil
}

type nopSubmitter struct{ n atomic.Int64 }

func (s *nopSubmitter) Submit(publisher.Candidate) { s.n.Add(1) }

// analyse runs 120 pictures (one per second of camera time) of a parked car
// through one camera's analysis, as the shared detector goroutine does,
// with the given case-book writer, and returns the wall time it took.
func analyse(t *testing.T, write func(string, []byte) error) (time.Duration, *Pipeline, *nopSubmitter) {
	t.Helper()
	cfg := &config.Config{
		Cameras: []config.Camera{{ID: "c", URL: "rtsp://127.0.0.1:1/x",
			Zones: []config.Zone{{ID: "z", Rules: []string{"park"}, Polygon: [][]float64{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}}}},
		Rules:   []config.Rule{{ID: "park", Code: "0505", Classes: []string{"car"}, MinDwell: 10 * time.Second}},
		DataDir: t.TempDir(),
		Cases:   config.Lifecycle{UpdateInterval: 20 * time.Second},
	}
	cfg.ApplyDefaults()
	sub := &nopSubmitter{}
	p, err := New(cfg, Deps{Detector: &parkedCar{}, Publisher: sub, WriteFile: write})
	if err != nil {
		t.Fatal(err)
	}
	go p.books.run()
	img := media.Image{Width: 640, Height: 360, BGR: make([]byte, 640*360*3)}
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	start := time.Now()
	for i := range 120 {
		p.cameras[0].process(media.Frame{Image: img, Recv: t0.Add(time.Duration(i) * time.Second)}, p.deps.Detectors[0])
	}
	took := time.Since(start)
	p.books.close()
	return took, p, sub
}

// TestSlowDiskDoesNotSlowDetection: with a disk that takes 100 ms per
// case-book write (every analysed picture changes the open case's last
// sighting), analysing 120 pictures takes about as long as with an instant
// disk, measured side by side; the book's writes are coalesced, and the last
// state still reaches the disk.
func TestSlowDiskDoesNotSlowDetection(t *testing.T) {
	var slowWrites atomic.Int64
	slow := func(path string, data []byte) error {
		time.Sleep(100 * time.Millisecond)
		slowWrites.Add(1)
		return writeAtomic(path, data)
	}
	fast, _, _ := analyse(t, nil)
	slowTook, p, sub := analyse(t, slow)
	t.Logf("120 pictures: %v with an instant disk, %v with a 100 ms disk (%d writes, %d coalesced); %d candidates",
		fast, slowTook, slowWrites.Load(), p.books.coalesced.Load(), sub.n.Load())
	if sub.n.Load() < 1 {
		t.Fatal("the parked car opened no case")
	}
	if slowTook > 3*fast+500*time.Millisecond {
		t.Fatalf("a slow disk slowed the analysis from %v to %v", fast, slowTook)
	}
	if slowWrites.Load() >= 100 {
		t.Fatalf("%d writes for 120 pictures: not coalesced", slowWrites.Load())
	}
	raw, err := os.ReadFile(p.cameras[0].book.path)
	if err != nil || !strings.Contains(string(raw), `"rule_id":"park"`) {
		t.Fatalf("case book on disk: %s, %v", raw, err)
	}
}
