package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/publisher/broker"
	"github.com/patrol-city/patrol/internal/publisher/health"
)

// TestHealthEventsSurviveOutageAndRestart: with the real broker stopped,
// a reporter takes three health events and is closed (a worker stopped
// during the outage); after the outage (PATROL_FAULT_DOWN, default 20 s;
// the 60 s with PATROL_FAULT_DOWN=60s) a new reporter on the same
// directory publishes all three, in order, once each. Not parallel: it
// stops the shared broker (main_test.go).
func TestHealthEventsSurviveOutageAndRestart(t *testing.T) {
	script := servicesScript(t)
	brokerAddr, _ := services(t)
	topic := fmt.Sprintf("patrol-e2e-health-%d", rand.Uint32())
	from := topicEnd(t, brokerAddr, topic)
	dir := filepath.Join(t.TempDir(), "health")
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cam := fmt.Sprintf("e2e-health-%d", rand.Uint32())
	at := time.Now().UTC()
	events := []health.Event{
		health.NewEvent("e2e", cam, "", health.KindState, health.StateStalled, health.StateStreaming, "no data for 10s", at),
		health.NewEvent("e2e", cam, "", health.KindState, health.StateConnecting, health.StateStalled, "", at.Add(time.Second)),
		health.NewEvent("e2e", cam, "", health.KindPicture, health.PictureCovered, health.PictureOK, "lens covered", at.Add(2*time.Second)),
	}

	t.Cleanup(func() { service(t, script, "start-kafka") })
	service(t, script, "stop-kafka")
	kw, err := broker.NewWriter(broker.WriterConfig{Brokers: []string{brokerAddr}, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	r1, err := health.NewReporter(health.ReporterConfig{Dir: dir, DrainTimeout: 2 * time.Second, RetryMax: 2 * time.Second}, kw, log)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = r1.Run(context.Background()) }()
	for _, ev := range events {
		r1.Report(ev)
	}
	down := downFor(t)
	time.Sleep(down)
	r1.Close() // the worker stops while the broker is still down
	kw.Close()
	if r1.Sent() != 0 {
		t.Fatalf("%d events sent with the broker down", r1.Sent())
	}
	service(t, script, "start-kafka")

	kw2, err := broker.NewWriter(broker.WriterConfig{Brokers: []string{brokerAddr}, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	defer kw2.Close()
	r2, err := health.NewReporter(health.ReporterConfig{Dir: dir}, kw2, log)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = r2.Run(context.Background()) }()
	waitFor(t, 2*time.Minute, "the queued events after the restart", func() bool { return r2.Sent() >= 3 })
	r2.Close()
	var got []string
	for _, m := range readMessages(t, brokerAddr, topic, from, 3*time.Second) {
		var ev health.Event
		if err := json.Unmarshal(m.Value, &ev); err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.EventID)
	}
	t.Logf("broker down %v: %d events published after the restart", down, len(got))
	if len(got) != 3 {
		t.Fatalf("published %v, want the 3 events once each", got)
	}
	for i, ev := range events {
		if got[i] != ev.EventID {
			t.Fatalf("event %d is %s, want %s (order kept)", i, got[i], ev.EventID)
		}
	}
}
