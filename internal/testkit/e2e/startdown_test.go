package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/testkit/runtimes"
	"github.com/patrol-city/patrol/internal/worker"
)

// healthzDoc is the part of /healthz this test reads.
type healthzDoc struct {
	Status  string `json:"status"`
	Cameras []struct {
		ID, State string
	} `json:"cameras"`
	Dependencies []struct {
		Name  string `json:"name"`
		Up    bool   `json:"up"`
		Error string `json:"error"`
	} `json:"dependencies"`
}

func readHealthz(t *testing.T, addr string) healthzDoc {
	t.Helper()
	var h healthzDoc
	if err := json.Unmarshal([]byte(httpGet(t, "http://"+addr+"/healthz")), &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h healthzDoc) dep(name string) (up, found bool) {
	for _, d := range h.Dependencies {
		if d.Name == name {
			return d.Up, true
		}
	}
	return false, false
}

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
	mirror := assetMirror(t)
	_, st := sceneStream(t, mirror, "parking-e2e", media.H264)
	srv := simServer(t)
	camID := fmt.Sprintf("e2e-down-%d", rand.Uint32())
	cfg := &config.Config{
		Worker: "e2e",
		Cameras: []config.Camera{{ID: camID, URL: srv.URL("cam"),
			Zones: []config.Zone{{ID: "no-parking", Rules: []string{"illegal-parking"},
				Polygon: [][]float64{{0.02, 0.55}, {0.98, 0.55}, {0.98, 0.99}, {0.02, 0.99}}}}}},
		Rules: []config.Rule{{ID: "illegal-parking", Code: "0505", Name: "机动车乱停放",
			Classes: []string{"car", "truck", "bus", "motorcycle"}, MinDwell: 8 * time.Second}},
		Kafka: config.Kafka{Brokers: []string{kafkaGate.Addr()}},
		Evidence: config.Evidence{Kind: "s3", Endpoint: s3Gate.Addr(), AccessKey: s3cfg.AccessKey,
			SecretKey: s3cfg.SecretKey, Bucket: s3cfg.Bucket, PreRoll: 5 * time.Second, PostRoll: 3 * time.Second},
		Monitoring: config.Monitoring{MetricsAddress: "127.0.0.1:0"},
	}
	cfg.DataDir = t.TempDir()
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	casesFrom := topicEnd(t, brokerAddr, cfg.Kafka.CasesTopic)
	healthFrom := topicEnd(t, brokerAddr, cfg.Kafka.HealthTopic)
	if err := srv.Add("cam", st); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	started := time.Now()
	w, err := worker.New(ctx, cfg, worker.Deps{Logger: log, Fetcher: runtimes.Fetcher(mirror)})
	if err != nil {
		t.Fatalf("worker refused to start with Kafka and MinIO down: %v", err)
	}
	t.Logf("worker.New returned after %v with both services down", time.Since(started).Round(time.Millisecond))
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()

	waitFor(t, 20*time.Second, "camera streaming with both dependencies down", func() bool {
		h := readHealthz(t, w.MetricsAddr())
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
	time.Sleep(20 * time.Second)
	kafkaGate.open.Store(true)
	s3Gate.open.Store(true)
	reopened := time.Now()
	waitFor(t, 90*time.Second, "both dependencies up again", func() bool {
		h := readHealthz(t, w.MetricsAddr())
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
	cancel()
	if err := <-done; err != nil {
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
