package bench

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"
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
		Width: 320, Height: 180, FPS: 25, GOP: 25, Bitrate: 300_000, LoopSeconds: 2,
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
