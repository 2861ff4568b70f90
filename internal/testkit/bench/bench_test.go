package bench

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/testkit/runtimes"
	"github.com/patrol-city/patrol/internal/testkit/testenv"
)

func TestIngestSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("runs cameras for several seconds")
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := Ingest(ctx, IngestConfig{
		Cameras: 2, Duration: 3 * time.Second, Warmup: 500 * time.Millisecond,
		Stream:   Stream{Width: 320, Height: 180, FPS: 25, GOP: 25, Bitrate: 300_000, LoopSeconds: 2},
		SpawnSim: InProcessSim(log), Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Modes) != 2 {
		t.Fatalf("got %d modes, want 2", len(res.Modes))
	}
	for _, m := range res.Modes {
		t.Logf("%+v", m)
		if m.Units == 0 || m.Sent == 0 || m.Decoded == 0 {
			t.Errorf("mode %s: units %d, decoded %d, sent %d; want all > 0", m.Mode, m.Units, m.Decoded, m.Sent)
		}
	}
	if res.FramesDecodedKeyframes >= res.FramesDecodedAll {
		t.Errorf("keyframe mode decoded %d frames, all-frames mode %d; want fewer", res.FramesDecodedKeyframes, res.FramesDecodedAll)
	}
	if res.CPUPerCameraKeyframes <= 0 || res.RatioAllOverKeyframes <= 0 {
		t.Errorf("CPU not measured: %+v", res)
	}
}

func TestSimSpecFrames(t *testing.T) {
	for _, c := range []struct{ sec, fps, gop, want int }{{10, 25, 50, 250}, {1, 25, 50, 50}, {3, 25, 50, 100}} {
		if got := (SimSpec{Seconds: c.sec, FPS: c.fps, GOP: c.gop}).frames(); got != c.want {
			t.Errorf("%d s at %d fps, GOP %d: %d frames, want %d", c.sec, c.fps, c.gop, got, c.want)
		}
	}
}

// TestPipelineSmall is the smoke of `patrol bench pipeline`: two small
// cameras through the real worker at its defaults (the simulator in
// process, so the CPU figure is not one to quote).
func TestPipelineSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a worker for several seconds")
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := Pipeline(ctx, PipelineConfig{
		Cameras: 2, Duration: 5 * time.Second, Warmup: time.Second,
		Stream:   Stream{Width: 320, Height: 180, FPS: 25, GOP: 25, Bitrate: 300_000, LoopSeconds: 2},
		SpawnSim: InProcessSim(log), Fetcher: runtimes.Fetcher(testenv.Mirror()), Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *r)
	// Reached counts pictures analysed or skipped by the motion gate.
	if r.Reached != 2 || r.Decoded == 0 || r.Units == 0 || r.WorkerCores <= 0 || r.RSSMiB <= 0 {
		t.Errorf("not measured: %+v", *r)
	}
	// The default rule (min_dwell 5m) samples every 4 s, decoding key
	// frames only: far fewer pictures decoded than units received.
	if r.IntervalS != 4 || r.Decoded*10 > r.Units {
		t.Errorf("sample interval %v s, %d decoded of %d units", r.IntervalS, r.Decoded, r.Units)
	}
}

// TestDetectSmall is the smoke of `patrol bench detect`: both backends
// measured side by side.
func TestDetectSmall(t *testing.T) {
	r, err := Detect(context.Background(), DetectConfig{Runs: 10, Fetcher: runtimes.Fetcher(testenv.Mirror())})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *r)
	if len(r.Backends) != 2 || r.Speedup <= 0 || r.Default != "onnxruntime" {
		t.Fatalf("backends %+v, speedup %v", r.Backends, r.Speedup)
	}
	for _, b := range r.Backends {
		if b.InferencesPerSec <= 0 || b.LatencyP50MS <= 0 {
			t.Errorf("%s not measured: %+v", b.Backend, b)
		}
	}
}
