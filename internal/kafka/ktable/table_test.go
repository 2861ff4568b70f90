package ktable_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/kafka"
	"github.com/patrol-city/patrol/internal/kafka/ktable"
	"github.com/patrol-city/patrol/internal/publisher/broker"
)

// TestTable: on the real Kafka, a table follows a compacted topic of
// several partitions: Sync returns once what was written before it is
// read, a newer value replaces an older one, a tombstone deletes, and
// OnChange sees every message.
func TestTable(t *testing.T) {
	addr := os.Getenv("PATROL_TEST_KAFKA")
	if addr == "" {
		t.Skip("PATROL_TEST_KAFKA unset (make test sets it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	topic := fmt.Sprintf("test.ktable.%d", rand.Uint32())
	if err := kafka.CreateTopics(ctx, kafka.Security{}, []string{addr}, kafka.Replication{},
		kafka.Topic{Name: topic, Partitions: 4, Compacted: true}); err != nil {
		t.Fatal(err)
	}
	w, err := broker.NewWriter(broker.WriterConfig{Brokers: []string{addr}, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for i := range 10 {
		if err := w.WriteCase(ctx, fmt.Sprintf("k%d", i), []byte(fmt.Sprintf("v%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteCase(ctx, "k3", []byte("v3b")); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteCase(ctx, "k4", nil); err != nil {
		t.Fatal(err)
	}
	changes := make(chan ktable.Entry, 100)
	tb, err := ktable.New(ktable.Config{Brokers: []string{addr}, Topic: topic}, ktable.Deps{OnChange: func(e ktable.Entry) { changes <- e }})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- tb.Run(rctx) }()
	defer func() {
		stop()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
		tb.Close()
	}()
	if err := tb.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	all := tb.All()
	if len(all) != 9 {
		t.Fatalf("%d entries, want 9 (10 keys, one deleted)", len(all))
	}
	if e, _ := tb.Get("k3"); string(e.Value) != "v3b" {
		t.Errorf("k3 = %q, want the newer v3b", e.Value)
	}
	if _, ok := tb.Get("k4"); ok {
		t.Error("k4 still there after its tombstone")
	}
	parts := map[int32]bool{}
	for _, e := range all {
		parts[e.Partition] = true
	}
	if len(parts) < 2 {
		t.Errorf("keys on %d partitions, want them spread", len(parts))
	}
	if len(changes) != 12 {
		t.Errorf("OnChange saw %d messages, want 12", len(changes))
	}
	// Live: a message written now is seen without a new Sync call's help.
	if err := w.WriteCase(ctx, "k9", []byte("v9b")); err != nil {
		t.Fatal(err)
	}
	if err := tb.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if e, _ := tb.Get("k9"); string(e.Value) != "v9b" {
		t.Errorf("k9 = %q after a live update", e.Value)
	}
	// A missing topic is an error within the deadline, not a hang.
	missing, err := ktable.New(ktable.Config{Brokers: []string{addr}, Topic: topic + ".missing"}, ktable.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer missing.Close()
	sctx, scancel := context.WithTimeout(ctx, 2*time.Second)
	defer scancel()
	if err := missing.Sync(sctx); err == nil {
		t.Error("Sync of a missing topic succeeded")
	}
}
