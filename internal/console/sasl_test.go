package console

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/kafka"
	"github.com/patrol-city/patrol/internal/publisher/broker"
)

// TestSASL: the console's readers (kgo, through the adapter of
// kafka-go's mechanisms) and writers (kafka-go) authenticate on the real
// broker's SASL listener with the one kafka.Security the caller builds:
// SCRAM-SHA-512 and PLAIN; a wrong password never gets the console in
// sync.
func TestSASL(t *testing.T) {
	t.Parallel()
	raw := os.Getenv("PATROL_TEST_KAFKA_SASL")
	if raw == "" {
		kafkaAddr(t) // skips or fails as the other Kafka tests do
		t.Skip("PATROL_TEST_KAFKA_SASL unset: the broker has no SASL listener (make test starts one)")
	}
	cred, addr, ok := strings.Cut(raw, "@")
	user, pass, ok2 := strings.Cut(cred, ":")
	if !ok || !ok2 {
		t.Fatal("PATROL_TEST_KAFKA_SASL must look like user:password@host:port")
	}
	scram512, err := scram.Mechanism(scram.SHA512, user, pass)
	if err != nil {
		t.Fatal(err)
	}
	for name, mech := range map[string]sasl.Mechanism{"SCRAM-SHA-512": scram512, "PLAIN": plain.Mechanism{Username: user, Password: pass}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t, addr)
			sec := kafka.Security{SASL: mech}
			r := startConsole(t, cfg, Deps{Security: sec})
			w, err := broker.NewWriter(broker.WriterConfig{Brokers: cfg.Kafka.Brokers, Topic: cfg.Kafka.CasesTopic, Security: sec})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := w.WriteCase(ctx, "cam-1", testCase("c-sasl", "cam-1", "z", cases.EventOpened, 1, time.Now())); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 20*time.Second, "the case read over SASL", func() bool { _, n := r.srv.store.Queue(Filter{}); return n == 1 })
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		t.Parallel()
		bad, err := scram.Mechanism(scram.SHA512, user, pass+"x")
		if err != nil {
			t.Fatal(err)
		}
		cfg := testConfig(t, addr)
		s, err := New(cfg, Deps{Security: kafka.Security{SASL: bad}, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := s.Run(ctx); err != nil {
			t.Fatal(err)
		}
		if s.Synced() {
			t.Error("in sync with a wrong password")
		}
	})
}
