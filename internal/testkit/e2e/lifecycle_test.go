package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/testkit/runtimes"
	"github.com/patrol-city/patrol/internal/worker"
)

// TestCaseLifecycleAcrossRestart: a car parked through two update intervals
// and then leaving yields exactly opened, updated, updated, closed for one
// case_id on the real Kafka, although the first worker (a separate process)
// is killed with SIGKILL in the middle and a new one started on the same
// data directory.
func TestCaseLifecycleAcrossRestart(t *testing.T) {
	parallel(t, loadLifecycle)
	broker, s3cfg := services(t)
	mirror := assetMirror(t)
	_, st := sceneStream(t, mirror, "lifecycle", media.H264)
	st.Loops = 1
	srv := simServer(t)
	camID := fmt.Sprintf("e2e-lifecycle-%d", rand.Uint32())
	data := t.TempDir()
	cfg := &config.Config{
		Worker: "e2e",
		Cameras: []config.Camera{{ID: camID, URL: srv.URL("cam"), Zones: []config.Zone{{ID: "no-parking", Rules: []string{"illegal-parking"},
			Polygon: [][]float64{{0.02, 0.5}, {0.98, 0.5}, {0.98, 0.93}, {0.02, 0.93}}}}}},
		Rules: []config.Rule{{ID: "illegal-parking", Code: "0505", Classes: []string{"car", "truck"}, MinDwell: 6 * time.Second}},
		Kafka: config.Kafka{Brokers: []string{broker}},
		Evidence: config.Evidence{Kind: "s3", Endpoint: s3cfg.Endpoint, AccessKey: s3cfg.AccessKey,
			SecretKey: s3cfg.SecretKey, Bucket: s3cfg.Bucket, PreRoll: 3 * time.Second, PostRoll: 2 * time.Second},
		Monitoring: config.Monitoring{MetricsAddress: "off"},
		Cases:      config.Lifecycle{UpdateInterval: 9 * time.Second, CloseAfter: 5 * time.Second},
		DataDir:    data,
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	from := topicEnd(t, broker, cfg.Kafka.CasesTopic)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	run := func(d time.Duration) {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		w, err := worker.New(ctx, cfg, worker.Deps{Logger: log, Fetcher: runtimes.Fetcher(mirror)})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Run(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.Add("cam", st); err != nil {
		t.Fatal(err)
	}
	// The first worker runs in its own process: opened (~10 s), updated
	// (~19 s), then SIGKILL at 22 s.
	cmd := startWorkerProcess(t, cfg)
	time.Sleep(22 * time.Second)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	t.Log("first worker killed with SIGKILL; starting a new one")
	run(22 * time.Second) // updated (~28 s), closed (~40 s)

	type ev struct {
		id, event string
		seq       int
	}
	var got []ev
	for _, m := range readMessages(t, broker, cfg.Kafka.CasesTopic, from, 3*time.Second) {
		if string(m.Key) != camID {
			continue
		}
		if err := cases.ValidateCaseJSON(m.Value); err != nil {
			t.Fatalf("case event fails the schema: %v", err)
		}
		var c struct {
			cases.Case
			Seq int `json:"seq"`
		}
		if err := json.Unmarshal(m.Value, &c); err != nil {
			t.Fatal(err)
		}
		got = append(got, ev{c.CaseID, c.Event, c.Seq})
	}
	t.Logf("events: %+v", got)
	want := []string{cases.EventOpened, cases.EventUpdated, cases.EventUpdated, cases.EventClosed}
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %v", len(got), want)
	}
	for i, g := range got {
		if g.event != want[i] || g.seq != i+1 || g.id != got[0].id {
			t.Errorf("event %d = %+v, want %s seq %d of case %s", i, g, want[i], i+1, got[0].id)
		}
	}
}

// startWorkerProcess runs a worker with cfg in a child process (this test
// binary re-executed as TestLifecycleWorkerProcess), for tests that kill it.
func startWorkerProcess(t *testing.T, cfg *config.Config) *exec.Cmd {
	t.Helper()
	cfgFile := filepath.Join(t.TempDir(), "worker.json")
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLifecycleWorkerProcess$", "-test.v")
	cmd.Env = append(os.Environ(), "PATROL_LIFECYCLE_WORKER="+cfgFile)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// TestLifecycleWorkerProcess is the worker process that
// TestCaseLifecycleAcrossRestart kills.
func TestLifecycleWorkerProcess(t *testing.T) {
	path := os.Getenv("PATROL_LIFECYCLE_WORKER")
	if path == "" {
		t.Skip("helper process of TestCaseLifecycleAcrossRestart")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg config.Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	mirror := assetMirror(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	w, err := worker.New(ctx, &cfg, worker.Deps{Logger: log, Fetcher: runtimes.Fetcher(mirror)})
	if err != nil {
		t.Fatal(err)
	}
	_ = w.Run(ctx)
	t.Fatal("not killed within 60 s")
}
