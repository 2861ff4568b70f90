package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/testkit/runtimes"
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
	mirror := assetMirror(t)
	_, st := sceneStream(t, mirror, "parking-e2e", media.H264)
	srv := simServer(t)
	camID := fmt.Sprintf("e2e-postroll-%d", rand.Uint32())
	data := t.TempDir()
	cfg := &config.Config{
		Worker: "e2e",
		Cameras: []config.Camera{{ID: camID, URL: srv.URL("cam"),
			Zones: []config.Zone{{ID: "no-parking", Rules: []string{"illegal-parking"},
				Polygon: [][]float64{{0.02, 0.55}, {0.98, 0.55}, {0.98, 0.99}, {0.02, 0.99}}}}}},
		Rules: []config.Rule{{ID: "illegal-parking", Code: "0505", Classes: []string{"car", "truck", "bus"}, MinDwell: 6 * time.Second}},
		Kafka: config.Kafka{Brokers: []string{brokerAddr}},
		Evidence: config.Evidence{Kind: "s3", Endpoint: s3cfg.Endpoint, AccessKey: s3cfg.AccessKey,
			SecretKey: s3cfg.SecretKey, Bucket: s3cfg.Bucket, PreRoll: 4 * time.Second, PostRoll: 20 * time.Second},
		Ingest:     config.Ingest{BufferDuration: 30 * time.Second},
		Monitoring: config.Monitoring{MetricsAddress: "off"},
		DataDir:    data,
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	from := topicEnd(t, brokerAddr, cfg.Kafka.CasesTopic)
	if err := srv.Add("cam", st); err != nil {
		t.Fatal(err)
	}
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

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	w, err := worker.New(ctx, cfg, worker.Deps{Logger: log, Fetcher: runtimes.Fetcher(mirror)})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Run(ctx); err != nil {
		t.Fatal(err)
	}
	var opened []cases.Case
	for _, m := range readMessages(t, brokerAddr, cfg.Kafka.CasesTopic, from, 3*time.Second) {
		if string(m.Key) != camID {
			continue
		}
		if err := cases.ValidateCaseJSON(m.Value); err != nil {
			t.Fatalf("case fails the schema: %v", err)
		}
		var c cases.Case
		if err := json.Unmarshal(m.Value, &c); err != nil {
			t.Fatal(err)
		}
		if c.Event == cases.EventOpened {
			opened = append(opened, c)
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
