package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/media"
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
	cam := newSimCamera(t, nil, "lifecycle", media.H264, "e2e-lifecycle")
	cam.Stream.Loops = 1
	camID := cam.ID
	cfg := camConfig(t, broker, s3cfg, camID, cam.URL(), func(c *config.Config) {
		c.Cameras[0].Zones = noParking(0.5, 0.93)
		c.Rules = parkingRule(6*time.Second, "car", "truck")
		c.Evidence.PreRoll, c.Evidence.PostRoll = 3*time.Second, 2*time.Second
		c.Monitoring.MetricsAddress = "off"
		c.Cases = config.Lifecycle{UpdateInterval: 9 * time.Second, CloseAfter: 5 * time.Second}
	})
	from := topicEnd(t, broker, cfg.Kafka.CasesTopic)
	cam.play(t)
	// The first worker runs in its own process: opened (~10 s), updated
	// (~19 s), then SIGKILL once the update is on Kafka, out of the outbox
	// and in the book of open cases (else the restarted worker would send
	// it again: a duplicate, not the kill this test is about).
	cmd := startWorkerProcess(t, cfg)
	waitFor(t, 45*time.Second, "the first update delivered and booked", func() bool {
		return hasEvent(camCases(t, broker, cfg.Kafka.CasesTopic, from, camID, time.Second), cases.EventUpdated, 2) &&
			outboxEntries(cfg.DataDir) == 0 && slices.Equal(bookSeqs(cfg.DataDir, camID), []int{2})
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	t.Log("first worker killed with SIGKILL; starting a new one")
	// updated (~28 s), closed (~40 s)
	w := startWorker(t, t.Context(), cfg, worker.Deps{})
	waitFor(t, 60*time.Second, "the case closed", func() bool {
		return hasEvent(camCases(t, broker, cfg.Kafka.CasesTopic, from, camID, time.Second), cases.EventClosed, 0)
	})
	if err := w.Stop(); err != nil {
		t.Fatal(err)
	}

	type ev struct {
		id, event string
		seq       int
	}
	var got []ev
	for _, c := range camCases(t, broker, cfg.Kafka.CasesTopic, from, camID, 3*time.Second) {
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
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	_ = startWorker(t, ctx, &cfg, worker.Deps{}).Wait()
	t.Fatal("not killed within 60 s")
}
