package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/worker"
)

// labelRunner is a CameraRunner that only remembers what runs.
type labelRunner struct{}

func (labelRunner) AddCamera(config.Camera) error { return nil }
func (labelRunner) RemoveCamera(string) error     { return nil }

// TestCamerasListUnplaced: with one worker offering district a, patrol
// cameras list shows a1 on that worker and c1 (requiring district c, which
// no worker offers) as unplaced, on the test Kafka.
func TestCamerasListUnplaced(t *testing.T) {
	addr := os.Getenv("PATROL_TEST_KAFKA")
	if addr == "" {
		t.Skip("PATROL_TEST_KAFKA unset (make test sets it)")
	}
	dir := t.TempDir()
	run := fmt.Sprintf("test-cameras-list-%d", rand.Uint32())
	cfgPath := filepath.Join(dir, "worker.yaml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(`worker: w-a
cluster: {enabled: true, group: %[1]s, registry_topic: %[1]s.cameras, casestate_topic: %[1]s.casestate, partitions: 2,
  session_timeout: 6s, handover_delay: 300ms, labels: {district: a}}
kafka: {brokers: [%[2]q]}
evidence: {kind: dir, dir: %[3]s}
`, run, addr, dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	camsPath := filepath.Join(dir, "cameras.yaml")
	if err := os.WriteFile(camsPath, []byte(`cameras:
  - {id: a1, url: "rtsp://list.invalid/a1", requires: {district: a}}
  - {id: c1, url: "rtsp://list.invalid/c1", requires: {district: c}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := cmdCameras(ctx, []string{"apply", "-config", cfgPath, "-f", camsPath}); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	m, err := worker.OpenFleetMember(ctx, cfg, labelRunner{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); m.Run(mctx, nil) }()
	defer func() { stop(); <-done; m.Close() }()
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if st := m.Status(); st.Members == 1 && slices.Equal(st.Unplaced, []string{"c1"}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker did not place the cameras: %+v", m.Status())
		}
	}
	out := captureStdout(t, func() error { return cmdCameras(ctx, []string{"list", "-config", cfgPath}) })
	lines := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			lines[f[0]] = l
		}
	}
	if !strings.Contains(lines["a1"], "w-a") || !strings.Contains(lines["c1"], "unplaced") {
		t.Fatalf("cameras list:\n%s", out)
	}
}

// captureStdout returns what fn writes to os.Stdout.
func captureStdout(t *testing.T, fn func() error) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	got := make(chan string)
	go func() {
		var b bytes.Buffer
		_, _ = io.Copy(&b, r)
		got <- b.String()
	}()
	err = fn()
	os.Stdout = old
	w.Close()
	out := <-got
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return out
}
