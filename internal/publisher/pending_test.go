package publisher

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/publisher/outbox"
)

func newPendingPub(t *testing.T, dir string, postRoll time.Duration, s *fakeStore, w *fakeWriter, clips func(string) ClipSource) *Publisher {
	t.Helper()
	p, err := New(Config{Worker: "w1", Model: cases.Model{Name: "yolox_nano", SHA256: sha(nil)}, RetryBase: 10 * time.Millisecond,
		RetryMax: 50 * time.Millisecond, DrainTimeout: 2 * time.Second, PostRoll: postRoll,
		Outbox: outbox.Config{Dir: filepath.Join(dir, "outbox")}, PendingDir: filepath.Join(dir, "pending")},
		Deps{Store: s, Cases: w, Logger: slog.New(slog.NewTextHandler(testLogSink, nil)), RecoveryClips: clips})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.Run(context.Background()) }()
	return p
}

func wireOf(t *testing.T, raw []byte) *wireCase {
	t.Helper()
	var c wireCase
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

// TestSeqOrderWhateverTheUpdateInterval: an "updated" (seq 2) submitted
// while its "opened" (seq 1) still waits for a 2 s post-roll is published
// after it, never before.
func TestSeqOrderWhateverTheUpdateInterval(t *testing.T) {
	t.Parallel()
	s, w := &fakeStore{}, &fakeWriter{}
	p := newPendingPub(t, t.TempDir(), 2*time.Second, s, w, nil)
	c := candidate(encodeClips(t), 1)
	c.ConfirmedAt = time.Now() // the post-roll lies ahead
	p.Submit(c)
	up := c
	up.Event, up.Seq, up.CaseID, up.At, up.LastSeen = cases.EventUpdated, 2, caseIDOf(c), time.Now(), time.Now()
	p.Submit(up)
	time.Sleep(3 * time.Second)
	waitEmpty(t, p)
	p.Close()
	msgs := w.all()
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	if a, b := wireOf(t, msgs[0].Value), wireOf(t, msgs[1].Value); a.Seq != 1 || b.Seq != 2 {
		t.Fatalf("published seq %d then %d, want 1 then 2", a.Seq, b.Seq)
	}
}

// TestPendingCaseCompletedAfterCrash: a publisher takes an "opened"
// candidate and dies during the post-roll (its goroutines simply never
// finish: the test abandons it without Close, as SIGKILL would). A new
// publisher on the same directories completes the case from the pending
// record: published once, recovered, with the clip recorded before the
// crash and the snapshots.
func TestPendingCaseCompletedAfterCrash(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s1, w1 := &fakeStore{}, &fakeWriter{}
	clips := encodeClips(t)
	p1 := newPendingPub(t, dir, time.Hour, s1, w1, nil)
	c := candidate(clips, 7)
	c.ConfirmedAt = time.Now()
	p1.Submit(c)
	id := caseIDOf(c)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "pending", id+".json")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no pending record before the post-roll")
		}
		time.Sleep(5 * time.Millisecond)
	}
	p1.cancelRun() // "killed": nothing more is delivered by p1
	p1.ob.Close()

	s2, w2 := &fakeStore{}, &fakeWriter{}
	p2 := newPendingPub(t, dir, time.Hour, s2, w2, func(string) ClipSource { return noClips{} })
	deadline = time.Now().Add(10 * time.Second)
	for len(w2.all()) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the pending case was not completed after the restart: %+v", p2.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	waitEmpty(t, p2)
	p2.Close()
	msgs := w2.all()
	got := wireOf(t, msgs[0].Value)
	if len(msgs) != 1 || got.CaseID != id || got.Seq != 1 || got.Event != cases.EventOpened || !got.Recovered {
		t.Fatalf("messages %d, first %+v", len(msgs), got.Case)
	}
	kinds := map[string]bool{}
	for _, ev := range got.Evidence {
		kinds[ev.Kind+"/"+ev.Role] = true
	}
	if !kinds["clip/confirmation"] || !kinds["snapshot/confirmation"] {
		t.Fatalf("recovered evidence %v lacks the clip or the snapshot", kinds)
	}
	if _, err := os.Stat(filepath.Join(dir, "pending", id+".json")); !os.IsNotExist(err) {
		t.Fatalf("pending record left after the case was queued: %v", err)
	}
}

var testLogSink = io.Discard

// TestPublisherShape: New delivers nothing (an accepted case waits in the
// outbox), Run delivers it, Close drains and ends Run; Run after Close is an
// error, and a publisher that never ran closes cleanly.
func TestPublisherShape(t *testing.T) {
	t.Parallel()
	s, w := &fakeStore{}, &fakeWriter{}
	p, err := New(Config{Worker: "w1", Model: cases.Model{Name: "yolox_nano", SHA256: sha(nil)}, RetryBase: 10 * time.Millisecond, DrainTimeout: 2 * time.Second,
		Outbox: outbox.Config{Dir: t.TempDir()}}, Deps{Store: s, Cases: w, Logger: slog.New(slog.NewTextHandler(testLogSink, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Accept(candidate(encodeClips(t), 1)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if len(w.all()) != 0 || p.Stats().Outbox.Entries != 1 {
		t.Fatalf("delivered before Run: %d messages, %+v", len(w.all()), p.Stats().Outbox)
	}
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background()) }()
	waitEmpty(t, p)
	p.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(w.all()) != 1 {
		t.Fatalf("%d messages after Run, want 1", len(w.all()))
	}
	if err := p.Run(context.Background()); err == nil {
		t.Fatal("Run after Close accepted")
	}
	idle, err := New(Config{Worker: "w1", Outbox: outbox.Config{Dir: t.TempDir()}}, Deps{Store: s, Cases: w})
	if err != nil {
		t.Fatal(err)
	}
	idle.Close()
}

// TestPendingOfThisProcessNotRecovered: a case submitted before Run (its
// pending record already on disk when Run starts) is published once, not a
// second time as a case left by a killed worker.
func TestPendingOfThisProcessNotRecovered(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, w := &fakeStore{}, &fakeWriter{}
	p, err := New(Config{Worker: "w1", Model: cases.Model{Name: "yolox_nano", SHA256: sha(nil)}, RetryBase: 10 * time.Millisecond,
		RetryMax: 50 * time.Millisecond, DrainTimeout: 2 * time.Second, PostRoll: 300 * time.Millisecond,
		Outbox: outbox.Config{Dir: filepath.Join(dir, "outbox")}, PendingDir: filepath.Join(dir, "pending")},
		Deps{Store: s, Cases: w, Logger: slog.New(slog.NewTextHandler(testLogSink, nil))})
	if err != nil {
		t.Fatal(err)
	}
	c := candidate(encodeClips(t), 3)
	c.ConfirmedAt = time.Now()
	p.Submit(c)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(dir, "pending", caseIDOf(c)+".json")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no pending record")
		}
	}
	go func() { _ = p.Run(context.Background()) }()
	for deadline := time.Now().Add(10 * time.Second); len(w.all()) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("not published")
		}
	}
	waitEmpty(t, p)
	p.Close()
	if msgs := w.all(); len(msgs) != 1 || wireOf(t, msgs[0].Value).Recovered {
		t.Fatalf("%d messages (want 1, not recovered)", len(msgs))
	}
}
