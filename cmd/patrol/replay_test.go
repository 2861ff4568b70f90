package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patrol-city/patrol/models/assets"
	"github.com/patrol-city/patrol/testkit/testenv"
)

// TestReplayStreetClips plays every real clip of the asset mirror through
// `patrol replay` three times, with the zones and rules of its evaluation
// scene (testdata/replay-street.yaml), and checks that the case events
// printed are the same every time (ids, times, boxes, explanations). It
// logs each clip's speed against real time.
func TestReplayStreetClips(t *testing.T) {
	mirror := testenv.Mirror()
	t.Setenv(assets.MirrorEnv, mirror)
	clips := []struct {
		camera, file, loops string
		want                int // cases opened
	}{
		{"junction-queue", "video/street/haiphong_junction_queue.mp4", "9", 2},
		{"junction-traffic", "video/street/hcmc_junction_traffic.mp4", "6", -1},
		{"motorway", "video/street/motorway_cctv_320.avi", "2", 0},
		{"pedestrian-street", "video/street/pedestrian_street_cctv.mp4", "4", 0},
		{"sidewalk", "video/sidewalk_cctv_left_object.mp4", "1", -1},
	}
	for _, c := range clips {
		t.Run(c.camera, func(t *testing.T) {
			file := filepath.Join(mirror, "testdata", filepath.FromSlash(c.file))
			if _, err := os.Stat(file); err != nil {
				t.Skipf("asset mirror: %v", err)
			}
			var first string
			for run := range 3 {
				var out, errs bytes.Buffer
				err := replayCommand(context.Background(), []string{"-config", "testdata/replay-street.yaml",
					"-camera", c.camera, "-file", file, "-loop", c.loops, "-out", t.TempDir(), "-log-level", "error"}, &out, &errs, false)
				if err != nil {
					t.Fatalf("run %d: %v\n%s", run+1, err, errs.String())
				}
				lines := strings.Split(strings.TrimSpace(out.String()), "\n")
				summary := lines[len(lines)-1]
				events := strings.Join(lines[:len(lines)-1], "\n")
				if !strings.HasPrefix(summary, "played ") {
					t.Fatalf("run %d: no summary line:\n%s", run+1, out.String())
				}
				t.Logf("run %d: %s", run+1, summary)
				if run == 0 {
					first = events
					t.Logf("case events:\n%s", events)
					if n := strings.Count(events, " opened "); c.want >= 0 && n != c.want {
						t.Fatalf("%d cases opened, want %d:\n%s", n, c.want, events)
					}
					continue
				}
				if events != first {
					t.Fatalf("run %d printed other case events than run 1:\n%s\n--- run 1:\n%s", run+1, events, first)
				}
			}
		})
	}
}
