package health_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/publisher/health"
)

// flakyWriter fails its first n writes, then records the keys.
type flakyWriter struct {
	mu   sync.Mutex
	fail int
	keys []string
}

func (w *flakyWriter) WriteCase(_ context.Context, key string, _ []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fail > 0 {
		w.fail--
		return errors.New("broker unreachable")
	}
	w.keys = append(w.keys, key)
	return nil
}

// TestReporterShape: New starts nothing (events wait), Run publishes them
// in order through failures, Close drains and waits; Run after Close and a
// second Run are errors; with a durable queue, events reported to a
// reporter that never ran are found by the next one.
func TestReporterShape(t *testing.T) {
	dir := t.TempDir()
	w := &flakyWriter{fail: 2}
	cfg := health.ReporterConfig{Dir: dir, RetryBase: time.Millisecond, RetryMax: 5 * time.Millisecond}
	r, err := health.NewReporter(cfg, w, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1e9, 0)
	for _, cam := range []string{"a", "b", "c"} {
		r.Report(health.NewEvent("w", cam, "", health.KindState, health.StateStreaming, "", "", at))
	}
	time.Sleep(50 * time.Millisecond)
	if r.Sent() != 0 {
		t.Fatal("New started publishing")
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background()) }()
	deadline := time.Now().Add(5 * time.Second)
	for r.Sent() < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	r.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err == nil {
		t.Fatal("Run after Close accepted")
	}
	w.mu.Lock()
	got := append([]string(nil), w.keys...)
	w.mu.Unlock()
	if len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != "c" {
		t.Fatalf("published %v, want [a b c]", got)
	}

	idle, err := health.NewReporter(cfg, w, nil)
	if err != nil {
		t.Fatal(err)
	}
	idle.Report(health.NewEvent("w", "d", "", health.KindState, health.StateOffline, "", "", at))
	idle.Close() // never ran: the event stays in the queue
	next, err := health.NewReporter(cfg, w, nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- next.Run(context.Background()) }()
	for next.Sent() < 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	next.Close()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if next.Sent() != 1 {
		t.Fatal("the event of a reporter that never ran was lost")
	}
}
