package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher/health"
	"github.com/patrol-city/patrol/internal/testkit/runtimes"
	"github.com/patrol-city/patrol/internal/testkit/sim"
	"github.com/patrol-city/patrol/internal/worker"
)

// TestCameraRestartHealthEvents stops the camera's RTSP server and starts it
// again on the same address: the stream must resume within the backoff
// bound, and "offline" then "streaming" must appear on patrol.health.v1.
// Not parallel: the bound leaves less than a second (main_test.go).
func TestCameraRestartHealthEvents(t *testing.T) {
	broker, s3cfg := services(t)
	mirror := assetMirror(t)
	_, st := sceneStream(t, mirror, "parking-e2e", media.H264)
	srv := restartableSimServer(t)
	addr := srv.Address()
	if err := srv.Add("cam", st); err != nil {
		t.Fatal(err)
	}
	camID := fmt.Sprintf("e2e-restart-%d", rand.Uint32())
	cfg := &config.Config{
		Worker:  "e2e",
		Cameras: []config.Camera{{ID: camID, URL: srv.URL("cam")}},
		Kafka:   config.Kafka{Brokers: []string{broker}},
		Ingest:  config.Ingest{BackoffBase: 500 * time.Millisecond, BackoffMax: 2 * time.Second},
		Evidence: config.Evidence{Kind: "s3", Endpoint: s3cfg.Endpoint, AccessKey: s3cfg.AccessKey,
			SecretKey: s3cfg.SecretKey, Bucket: s3cfg.Bucket},
		Monitoring: config.Monitoring{OfflineAfter: 2, StallTimeout: 3 * time.Second, MetricsAddress: "127.0.0.1:0"},
	}
	cfg.DataDir = t.TempDir()
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	from := topicEnd(t, broker, cfg.Kafka.HealthTopic)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	w, err := worker.New(ctx, cfg, worker.Deps{Logger: log, Fetcher: runtimes.Fetcher(mirror)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	cam := w.Pipeline().Camera(camID)
	waitFor(t, 15*time.Second, "first streaming", func() bool { return cam.Stats().FramesSent >= 2 })

	srv.Close()
	time.Sleep(6 * time.Second) // several failed attempts: offline
	srv2, err := sim.NewServer(sim.ServerConfig{Address: addr}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()
	if err := srv2.Add("cam", st); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	sent := cam.Stats().FramesSent
	// Backoff cap 2 s (jitter stays below it), then up to one GOP for a key frame.
	waitFor(t, 6*time.Second, "stream resumed", func() bool { return cam.Stats().FramesSent > sent })
	t.Logf("stream resumed %v after the server came back", time.Since(restarted).Round(10*time.Millisecond))
	time.Sleep(time.Second)
	checkMetrics(t, w.MetricsAddr(), camID, false)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	var states []string
	for _, m := range readMessages(t, broker, cfg.Kafka.HealthTopic, from, 3*time.Second) {
		if string(m.Key) != camID {
			continue
		}
		if err := cases.ValidateHealthJSON(m.Value); err != nil {
			t.Fatalf("published health event fails the schema: %v", err)
		}
		var ev health.Event
		if err := json.Unmarshal(m.Value, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Kind == health.KindState {
			states = append(states, ev.State)
		}
		hdr := map[string]string{}
		for _, h := range m.Headers {
			hdr[h.Key] = string(h.Value)
		}
		if hdr["ce_id"] != ev.EventID || hdr["ce_specversion"] != "1.0" || hdr["ce_type"] != "patrol.health."+ev.Kind || hdr["ce_subject"] != camID {
			t.Errorf("health event headers %v do not match the event %s", hdr, ev.EventID)
		}
	}
	t.Logf("health states on Kafka: %v", states)
	// streaming (start) ... offline ... streaming (after restart)
	i := indexFrom(states, 0, health.StateStreaming)
	j := indexFrom(states, i+1, health.StateOffline)
	k := indexFrom(states, j+1, health.StateStreaming)
	if i < 0 || j < 0 || k < 0 {
		t.Fatalf("want streaming, offline, streaming in order; got %v", states)
	}
}

func indexFrom(s []string, from int, v string) int {
	if from < 0 {
		return -1
	}
	for i := from; i < len(s); i++ {
		if s[i] == v {
			return i
		}
	}
	return -1
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPictureHealthEvents plays a scene with a frozen picture (5-20 s) and a
// covered lens (25-40 s): each must be reported on patrol.health.v1 within
// the configured time, and each recovery too.
func TestPictureHealthEvents(t *testing.T) {
	parallel(t, loadPicture)
	broker, s3cfg := services(t)
	mirror := assetMirror(t)
	sc, st := sceneStream(t, mirror, "picture-faults", media.H264)
	srv := simServer(t)
	camID := fmt.Sprintf("e2e-picture-%d", rand.Uint32())
	const after = 8 * time.Second
	cfg := &config.Config{
		Worker:  "e2e",
		Cameras: []config.Camera{{ID: camID, URL: srv.URL("cam")}},
		Kafka:   config.Kafka{Brokers: []string{broker}},
		Evidence: config.Evidence{Kind: "s3", Endpoint: s3cfg.Endpoint, AccessKey: s3cfg.AccessKey,
			SecretKey: s3cfg.SecretKey, Bucket: s3cfg.Bucket},
		Monitoring: config.Monitoring{FrozenAfter: after, CoveredAfter: after, MetricsAddress: "127.0.0.1:0"},
	}
	cfg.DataDir = t.TempDir()
	cfg.ApplyDefaults()
	from := topicEnd(t, broker, cfg.Kafka.HealthTopic)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	w, err := worker.New(ctx, cfg, worker.Deps{Logger: log, Fetcher: runtimes.Fetcher(mirror)})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Add("cam", st); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	time.Sleep(sc.Duration - time.Second)
	// By now the camera has sent RTCP sender reports: the drift is known.
	checkMetrics(t, w.MetricsAddr(), camID, true)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	type pev struct {
		state, prev string
		at          time.Duration
	}
	var got []pev
	for _, m := range readMessages(t, broker, cfg.Kafka.HealthTopic, from, 3*time.Second) {
		if string(m.Key) != camID {
			continue
		}
		if err := cases.ValidateHealthJSON(m.Value); err != nil {
			t.Fatalf("published health event fails the schema: %v", err)
		}
		var ev health.Event
		if err := json.Unmarshal(m.Value, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Kind == health.KindPicture {
			got = append(got, pev{ev.State, ev.Previous, ev.At.Sub(start)})
		}
	}
	t.Logf("picture events: %+v", got)
	// Pictures are looked at once per sampling interval (4 s for a camera
	// without rules): a fault shows within that much after its time.
	slop := 3*time.Second + cfg.SampleInterval(cfg.Cameras[0])
	want := []struct {
		state, prev   string
		faultAt, slop time.Duration
	}{
		{health.PictureFrozen, health.PictureOK, 5*time.Second + after, slop},
		{health.PictureOK, health.PictureFrozen, 20 * time.Second, slop},
		{health.PictureCovered, health.PictureOK, 25*time.Second + after, slop},
		{health.PictureOK, health.PictureCovered, 40 * time.Second, slop},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d picture events, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.state != w.state || g.prev != w.prev {
			t.Errorf("event %d: %s (from %s), want %s (from %s)", i, g.state, g.prev, w.state, w.prev)
		}
		if d := g.at - w.faultAt; d < -time.Second || d > w.slop {
			t.Errorf("event %d (%s) at %v, want within %v after %v", i, g.state, g.at, w.slop, w.faultAt)
		}
	}
}

// checkMetrics scrapes /metrics and /healthz of a running worker.
func checkMetrics(t *testing.T, addr, camID string, drift bool) {
	t.Helper()
	body := httpGet(t, "http://"+addr+"/metrics")
	wants := []string{
		`patrol_camera_frames_detection_total{camera="` + camID + `"`,
		`patrol_camera_reconnects_total{camera="` + camID + `"`,
		`patrol_camera_state{camera="` + camID + `",state="streaming",worker="e2e"} 1`,
		"process_cpu_seconds_total", "process_resident_memory_bytes",
	}
	if drift {
		wants = append(wants, `patrol_camera_clock_drift_seconds{camera="`+camID+`"`)
	}
	for _, want := range wants {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	var hz struct {
		Status  string `json:"status"`
		Cameras []struct {
			ID, State string
		} `json:"cameras"`
	}
	if err := json.Unmarshal([]byte(httpGet(t, "http://"+addr+"/healthz")), &hz); err != nil {
		t.Fatal(err)
	}
	if len(hz.Cameras) != 1 || hz.Cameras[0].ID != camID || hz.Cameras[0].State != "streaming" {
		t.Errorf("/healthz = %+v", hz)
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}
