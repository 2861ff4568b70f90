package e2e

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher/health"
	"github.com/patrol-city/patrol/internal/testkit/sim"
	"github.com/patrol-city/patrol/internal/worker"
)

// TestCameraRestartHealthEvents stops the camera's RTSP server and starts it
// again on the same address: the stream must resume within the backoff
// bound, and "offline" then "streaming" must appear on patrol.health.v1.
// Not parallel: it times the reconnection (main_test.go).
func TestCameraRestartHealthEvents(t *testing.T) {
	broker, s3cfg := services(t)
	cam := newSimCamera(t, restartableSimServer(t), "parking-e2e", media.H264, "e2e-restart")
	addr := cam.Server.Address()
	cfg := camConfig(t, broker, s3cfg, cam.ID, cam.URL(), func(c *config.Config) {
		c.Ingest = config.Ingest{BackoffBase: 500 * time.Millisecond, BackoffMax: 2 * time.Second}
		c.Monitoring.OfflineAfter, c.Monitoring.StallTimeout = 2, 3*time.Second
	})
	camID := cam.ID
	from := topicEnd(t, broker, cfg.Kafka.HealthTopic)
	cam.play(t)
	w := startWorker(t, t.Context(), cfg, worker.Deps{})
	pc := w.Pipeline().Camera(camID)
	waitFor(t, 15*time.Second, "first streaming", func() bool { return pc.Stats().FramesSent >= 2 })

	before := pc.Stats().Reconnects
	cam.Server.Close()
	closed := time.Now()
	// Several failed attempts: offline, and the backoff at its cap (the
	// third failure in a row waits up to backoff_max).
	waitFor(t, 30*time.Second, "offline after three failed attempts", func() bool {
		return pc.Stats().Reconnects >= before+3 && w.healthz(t).camera(camID) == health.StateOffline
	})
	// The outage lasts 6 s all the same: the server comes back at any
	// point of a backoff wait, not right after a failed attempt (the worst
	// case for the bound below, with the 4 s sampling of a camera without
	// rules: 6.04 s).
	time.Sleep(time.Until(closed.Add(6 * time.Second)))
	srv2, err := sim.NewServer(sim.ServerConfig{Address: addr}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()
	if err := srv2.Add("cam", cam.Stream); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	sent := pc.Stats().FramesSent
	// The bound: the backoff cap (jitter stays below it), then the next
	// sample point of the camera (4 s for a camera without rules, the
	// first picture after the reconnect being a key frame), plus 1 s for
	// the RTSP handshake. It was 6 s, which the sampling alone could use
	// up (resumed at 6.04 s when the server came back mid-wait).
	bound := cfg.Ingest.BackoffMax + cfg.SampleInterval(cfg.Cameras[0]) + time.Second
	waitFor(t, bound, "stream resumed", func() bool { return pc.Stats().FramesSent > sent })
	t.Logf("stream resumed %v after the server came back", time.Since(restarted).Round(10*time.Millisecond))
	w.waitCamera(t, 10*time.Second, camID, health.StateStreaming)
	checkMetrics(t, w.MetricsAddr(), camID, false)
	if err := w.Stop(); err != nil {
		t.Fatal(err)
	}

	var states []string
	for _, m := range camHealth(t, broker, cfg.Kafka.HealthTopic, from, camID) {
		ev := m.event
		if ev.Kind == health.KindState {
			states = append(states, ev.State)
		}
		if m.hdr["ce_id"] != ev.EventID || m.hdr["ce_specversion"] != "1.0" || m.hdr["ce_type"] != "patrol.health."+ev.Kind || m.hdr["ce_subject"] != camID {
			t.Errorf("health event headers %v do not match the event %s", m.hdr, ev.EventID)
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

// TestPictureHealthEvents plays a scene with a frozen picture (5-20 s) and a
// covered lens (25-40 s): each must be reported on patrol.health.v1 within
// the configured time, and each recovery too.
func TestPictureHealthEvents(t *testing.T) {
	parallel(t, loadPicture)
	broker, s3cfg := services(t)
	cam := newSimCamera(t, nil, "picture-faults", media.H264, "e2e-picture")
	camID := cam.ID
	const after = 8 * time.Second
	cfg := camConfig(t, broker, s3cfg, camID, cam.URL(), func(c *config.Config) {
		c.Monitoring.FrozenAfter, c.Monitoring.CoveredAfter = after, after
	})
	from := topicEnd(t, broker, cfg.Kafka.HealthTopic)
	w := startWorker(t, t.Context(), cfg, worker.Deps{Logger: stderrLog(slog.LevelWarn)})
	start := cam.play(t)
	time.Sleep(cam.Scene.Duration - time.Second) // the whole scene
	// By now the camera has sent RTCP sender reports: the drift is known.
	checkMetrics(t, w.MetricsAddr(), camID, true)
	if err := w.Stop(); err != nil {
		t.Fatal(err)
	}
	type pev struct {
		state, prev string
		at          time.Duration
	}
	var got []pev
	for _, m := range camHealth(t, broker, cfg.Kafka.HealthTopic, from, camID) {
		if ev := m.event; ev.Kind == health.KindPicture {
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
