package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/worker"
)

// TestKillDuringPostRoll: a worker process confirms a parked car and is
// killed with SIGKILL inside the case's 20 s post-roll, before the case
// reached the outbox. The worker restarted on the same data directory
// publishes that "opened" case once, marked recovered, with the clip
// recorded up to the kill and the snapshots, on the real Kafka and MinIO.
func TestKillDuringPostRoll(t *testing.T) {
	parallel(t, loadPostRoll)
	brokerAddr, s3cfg := services(t)
	cam := newSimCamera(t, nil, "parking-e2e", media.H264, "e2e-postroll")
	camID := cam.ID
	cfg := camConfig(t, brokerAddr, s3cfg, camID, cam.URL(), func(c *config.Config) {
		c.Cameras[0].Zones = noParking(0.55, 0.99)
		c.Rules = parkingRule(6*time.Second, "car", "truck", "bus")
		c.Evidence.PreRoll, c.Evidence.PostRoll = 4*time.Second, 20*time.Second
		c.Ingest.BufferDuration = 30 * time.Second
		c.Monitoring.MetricsAddress = "off"
	})
	data := cfg.DataDir
	from := topicEnd(t, brokerAddr, cfg.Kafka.CasesTopic)
	cam.play(t)
	cmd := startWorkerProcess(t, cfg)
	pending := filepath.Join(data, "pending")
	waitFor(t, 50*time.Second, "the confirmed case's pending record", func() bool {
		m, _ := filepath.Glob(filepath.Join(pending, "*.json"))
		return len(m) == 1
	})
	time.Sleep(2 * time.Second) // well inside the 20 s post-roll
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if m, _ := filepath.Glob(filepath.Join(data, "outbox", "*")); len(m) > 1 { // LOCK only
		t.Fatalf("the case reached the outbox before the kill (%v): not a post-roll kill", m)
	}
	t.Log("worker killed with SIGKILL inside the post-roll; starting a new one")

	// The restarted worker publishes the recovered case at start.
	w := startWorker(t, t.Context(), cfg, worker.Deps{})
	waitFor(t, 60*time.Second, "the recovered case on Kafka", func() bool {
		return hasEvent(camCases(t, brokerAddr, cfg.Kafka.CasesTopic, from, camID, time.Second), cases.EventOpened, 0)
	})
	if err := w.Stop(); err != nil {
		t.Fatal(err)
	}
	var opened []cases.Case
	for _, c := range camCases(t, brokerAddr, cfg.Kafka.CasesTopic, from, camID, 3*time.Second) {
		if c.Event == cases.EventOpened {
			opened = append(opened, c.Case)
		}
	}
	if len(opened) != 1 {
		t.Fatalf("%d opened cases after the kill and restart, want 1", len(opened))
	}
	c := opened[0]
	if !c.Recovered {
		t.Fatalf("case %s is not marked recovered", c.CaseID)
	}
	store, err := evidence.NewS3(context.Background(), s3cfg)
	if err != nil {
		t.Fatal(err)
	}
	var clipOK, snapOK bool
	for _, ev := range c.Evidence {
		body, err := store.Get(context.Background(), ev.Key)
		if err != nil {
			t.Fatalf("evidence %s: %v", ev.Key, err)
		}
		if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != ev.SHA256 {
			t.Fatalf("evidence %s does not match its sha256", ev.Key)
		}
		switch {
		case ev.Kind == "clip" && ev.Role == "confirmation" && bytes.Contains(body[:min(len(body), 16)], []byte("ftyp")):
			clipOK = true
			t.Logf("recovered clip %s..%s (confirmed %s, post-roll 20 s cut by the kill)", ev.Start.Format("15:04:05.0"), ev.End.Format("15:04:05.0"), c.ConfirmedAt.Format("15:04:05.0"))
		case ev.Kind == "snapshot" && ev.Role == "confirmation":
			snapOK = true
		}
	}
	if !clipOK || !snapOK {
		t.Fatalf("recovered case %s lacks its clip (%v) or snapshot (%v)", c.CaseID, clipOK, snapOK)
	}
	if m, _ := filepath.Glob(filepath.Join(pending, "*")); len(m) != 0 {
		t.Fatalf("pending records left: %v", m)
	}
}
