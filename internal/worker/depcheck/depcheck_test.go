package depcheck

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// TestWatcherRecovers: a dependency down at start is retried with backoff
// until it answers, then reported up; one that is up stays up.
func TestWatcherRecovers(t *testing.T) {
	var calls atomic.Int32
	down := errors.New("connection refused")
	flaky := Probe{Name: "kafka", Check: func(context.Context) error {
		if calls.Add(1) < 4 {
			return down
		}
		return nil
	}}
	steady := Probe{Name: "evidence", Check: func(context.Context) error { return nil }}
	w, err := New(Config{RetryBase: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond, Interval: time.Hour},
		Deps{Probes: []Probe{flaky, steady}})
	if err != nil {
		t.Fatal(err)
	}
	w.Set("kafka", down) // the worker's start-up check
	if st := w.States(); st[0].Up || st[0].Error != down.Error() || !st[0].Checked || st[1].Checked {
		t.Fatalf("after the start-up check: %+v", st)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(context.Background()) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := w.States()
		if st[0].Up && st[1].Up {
			if st[0].Failures != 4 || st[0].Error != "" {
				t.Fatalf("kafka state %+v, want 4 failures then up", st[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not up after 10 s: %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
	w.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestNewRejectsBadProbes(t *testing.T) {
	ok := func(context.Context) error { return nil }
	for _, probes := range [][]Probe{
		{{Name: "", Check: ok}},
		{{Name: "x"}},
		{{Name: "x", Check: ok}, {Name: "x", Check: ok}},
	} {
		if _, err := New(Config{}, Deps{Probes: probes}); err == nil {
			t.Errorf("New(%v) accepted", probes)
		}
	}
}
