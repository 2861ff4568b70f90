package e2e

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/patrol-city/patrol/internal/config"
	pkafka "github.com/patrol-city/patrol/internal/kafka"
	"github.com/patrol-city/patrol/internal/publisher/broker"
	"github.com/patrol-city/patrol/internal/worker"
)

// TestKafkaSASL publishes and reads back through the real broker's SASL
// listener with every supported mechanism, configured the way a worker is;
// a wrong password fails without appearing in the error, and stops a
// worker in Run, before it is ready, as a misconfiguration of kafka.
func TestKafkaSASL(t *testing.T) { //nolint:tparallel // its subtests share its CPU claim (parallel, main_test.go): one after the other
	parallel(t, loadSASL)
	raw := os.Getenv("PATROL_TEST_KAFKA_SASL")
	if raw == "" {
		t.Skip("PATROL_TEST_KAFKA_SASL unset: the broker has no SASL listener (make test starts one)")
	}
	u, err := url.Parse("sasl://" + raw)
	if err != nil || u.User == nil {
		t.Fatalf("PATROL_TEST_KAFKA_SASL must look like user:password@host:port")
	}
	pass, _ := u.User.Password()
	for _, mech := range []config.SASLMechanism{config.SASLPlain, config.SASLScramSHA256, config.SASLScramSHA512} {
		t.Run(string(mech), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			k := config.Kafka{Brokers: []string{u.Host}, SASL: config.SASL{Mechanism: mech, Username: u.User.Username(), Password: pass}}
			sec, err := pkafka.SecurityFor(k)
			if err != nil {
				t.Fatal(err)
			}
			topic := fmt.Sprintf("patrol.e2e.sasl.%d", rand.Uint32())
			if err := pkafka.EnsureTopicsSecure(ctx, sec, k.Brokers, topic); err != nil {
				t.Fatal(err)
			}
			w, err := broker.NewWriter(broker.WriterConfig{Brokers: k.Brokers, Topic: topic, Security: sec})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if err := w.WriteCase(ctx, "cam-1", []byte(`{"hello":"`+string(mech)+`"}`)); err != nil {
				t.Fatal(err)
			}
			r := kafka.NewReader(kafka.ReaderConfig{Brokers: k.Brokers, Topic: topic, Partition: 0, Dialer: sec.Dialer(), MaxWait: 200 * time.Millisecond})
			defer r.Close()
			m, err := r.ReadMessage(ctx)
			if err != nil || !strings.Contains(string(m.Value), string(mech)) {
				t.Fatalf("read back %q: %v", m.Value, err)
			}

			bad := k
			bad.SASL.Password = "Wr0ngPassw0rd"
			bsec, err := pkafka.SecurityFor(bad)
			if err != nil {
				t.Fatal(err)
			}
			bctx, bcancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer bcancel()
			err = pkafka.EnsureTopicsSecure(bctx, bsec, k.Brokers, topic)
			if err == nil {
				t.Fatal("a wrong password was accepted")
			}
			if strings.Contains(err.Error(), "Wr0ngPassw0rd") || strings.Contains(err.Error(), pass) {
				t.Fatalf("the error shows a password: %v", err)
			}
			t.Logf("wrong password: %v", err)
		})
	}
	t.Run("worker wrong password", func(t *testing.T) {
		cfg := &config.Config{
			Worker:     "e2e-sasl",
			Cameras:    []config.Camera{{ID: "sasl-cam", URL: "rtsp://127.0.0.1:1/x"}},
			Model:      config.Model{Path: filepath.Join(assetMirror(t), "models", "yolox_nano.onnx")},
			Kafka:      config.Kafka{Brokers: []string{u.Host}, SASL: config.SASL{Mechanism: config.SASLScramSHA512, Username: u.User.Username(), Password: "Wr0ngPassw0rd"}},
			Evidence:   config.Evidence{Kind: "dir", Dir: t.TempDir()},
			Monitoring: config.Monitoring{MetricsAddress: "off"},
			DataDir:    t.TempDir(),
		}
		cfg.ApplyDefaults()
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		// worker.New only validates; Run meets the broker's refusal
		// before the worker is ready.
		_, err := runWorker(t, t.Context(), cfg, worker.Deps{Logger: stderrLog(slog.LevelWarn)})
		if err == nil {
			t.Fatal("the worker started with a wrong SASL password")
		}
		msg := err.Error()
		t.Logf("worker with a wrong password: %v", err)
		if !errors.Is(err, worker.ErrMisconfigured) || !strings.HasPrefix(msg, "kafka:") {
			t.Fatalf("error %q does not name kafka's refusal of the credentials", msg)
		}
		if strings.Contains(msg, "Wr0ngPassw0rd") || strings.Contains(msg, pass) {
			t.Fatalf("the error shows a password: %v", err)
		}
	})
}
