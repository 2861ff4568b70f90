package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/worker"
)

// TestStartWithServicesDown starts a worker while Kafka and MinIO are
// unreachable (behind closed gates, as after a site-wide power cut): the
// worker starts at once, streams its camera, reports both dependencies down
// in /healthz and metrics, and the case of the parked car waits in the
// outbox. When the gates open, the background checks find the services, the
// case and the camera's health events are delivered.
func TestStartWithServicesDown(t *testing.T) {
	parallel(t, loadStartDown)
	brokerAddr, s3cfg := services(t)
	kafkaGate, s3Gate := newGate(t, brokerAddr), newGate(t, s3cfg.Endpoint)
	cam := newSimCamera(t, nil, "parking-e2e", media.H264, "e2e-down")
	camID := cam.ID
	gated := s3cfg
	gated.Endpoint = s3Gate.Addr()
	cfg := camConfig(t, kafkaGate.Addr(), gated, camID, cam.URL(), func(c *config.Config) {
		c.Cameras[0].Zones = noParking(0.55, 0.99)
		c.Rules = parkingRule(8*time.Second, "car", "truck", "bus", "motorcycle")
		c.Evidence.PreRoll, c.Evidence.PostRoll = 5*time.Second, 3*time.Second
	})
	casesFrom := topicEnd(t, brokerAddr, cfg.Kafka.CasesTopic)
	healthFrom := topicEnd(t, brokerAddr, cfg.Kafka.HealthTopic)
	cam.play(t)
	started := time.Now()
	w, err := runWorker(t, t.Context(), cfg, worker.Deps{})
	if err != nil {
		t.Fatalf("worker refused to start with Kafka and MinIO down: %v", err)
	}
	t.Logf("worker ready %v after start with both services down", time.Since(started).Round(time.Millisecond))

	waitFor(t, 20*time.Second, "camera streaming with both dependencies down", func() bool {
		h := w.healthz(t)
		kUp, kOK := h.dep("kafka")
		eUp, eOK := h.dep("evidence")
		return kOK && eOK && !kUp && !eUp && h.Status == "degraded" &&
			len(h.Cameras) == 1 && h.Cameras[0].State == "streaming"
	})
	metricsText := httpGet(t, "http://"+w.MetricsAddr()+"/metrics")
	for _, want := range []string{`patrol_dependency_up{dependency="kafka",worker="e2e"} 0`, `patrol_dependency_up{dependency="evidence",worker="e2e"} 0`} {
		if !strings.Contains(metricsText, want) {
			t.Fatalf("metrics lack %s", want)
		}
	}
	// The car parks at about 5 s and is confirmed 8 s later; the case then
	// waits in the outbox for the services.
	waitFor(t, 60*time.Second, "the parked car's case in the outbox", func() bool { return outboxEntries(cfg.DataDir) > 0 })
	kafkaGate.open.Store(true)
	s3Gate.open.Store(true)
	reopened := time.Now()
	waitFor(t, 90*time.Second, "both dependencies up again", func() bool {
		h := w.healthz(t)
		kUp, _ := h.dep("kafka")
		eUp, _ := h.dep("evidence")
		return kUp && eUp
	})
	var opened int
	waitFor(t, 90*time.Second, "the queued case on Kafka", func() bool {
		opened = 0
		for _, m := range readMessages(t, brokerAddr, cfg.Kafka.CasesTopic, casesFrom, 2*time.Second) {
			if string(m.Key) == camID && strings.Contains(string(m.Value), `"event":"opened"`) {
				opened++
			}
		}
		return opened > 0
	})
	t.Logf("case delivered %v after the services came back", time.Since(reopened).Round(time.Millisecond))
	var streaming bool
	waitFor(t, 60*time.Second, "the queued streaming event on Kafka", func() bool {
		for _, m := range readMessages(t, brokerAddr, cfg.Kafka.HealthTopic, healthFrom, 2*time.Second) {
			if string(m.Key) == camID && strings.Contains(string(m.Value), `"streaming"`) {
				streaming = true
			}
		}
		return streaming
	})
	stopAt := time.Now()
	if err := w.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("worker stopped in %v", time.Since(stopAt).Round(time.Millisecond))
	if opened != 1 {
		t.Fatalf("%d opened cases, want 1", opened)
	}
	if !streaming {
		t.Fatal("the camera's streaming event, queued while Kafka was down, never arrived")
	}
}
