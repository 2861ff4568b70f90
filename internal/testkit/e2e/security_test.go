package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/publisher/broker"
	"github.com/patrol-city/patrol/internal/worker"
)

// TestKafkaSASL publishes and reads back through the real broker's SASL
// listener with every supported mechanism, configured the way a worker is;
// a wrong password fails without appearing in the error.
func TestKafkaSASL(t *testing.T) {
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
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(mech, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			k := config.Kafka{Brokers: []string{u.Host}, SASL: config.SASL{Mechanism: mech, Username: u.User.Username(), Password: pass}}
			sec, err := worker.KafkaSecurity(k)
			if err != nil {
				t.Fatal(err)
			}
			topic := fmt.Sprintf("patrol.e2e.sasl.%d", rand.Uint32())
			if err := broker.EnsureTopicsSecure(ctx, sec, k.Brokers, topic); err != nil {
				t.Fatal(err)
			}
			w, err := broker.NewWriter(k.Brokers, topic, sec)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if err := w.WriteCase(ctx, "cam-1", []byte(`{"hello":"`+mech+`"}`)); err != nil {
				t.Fatal(err)
			}
			r := kafka.NewReader(kafka.ReaderConfig{Brokers: k.Brokers, Topic: topic, Partition: 0, Dialer: sec.Dialer(), MaxWait: 200 * time.Millisecond})
			defer r.Close()
			m, err := r.ReadMessage(ctx)
			if err != nil || !strings.Contains(string(m.Value), mech) {
				t.Fatalf("read back %q: %v", m.Value, err)
			}

			bad := k
			bad.SASL.Password = "Wr0ngPassw0rd"
			bsec, err := worker.KafkaSecurity(bad)
			if err != nil {
				t.Fatal(err)
			}
			bctx, bcancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer bcancel()
			err = broker.EnsureTopicsSecure(bctx, bsec, k.Brokers, topic)
			if err == nil {
				t.Fatal("a wrong password was accepted")
			}
			if strings.Contains(err.Error(), "Wr0ngPassw0rd") || strings.Contains(err.Error(), pass) {
				t.Fatalf("the error shows a password: %v", err)
			}
			t.Logf("wrong password: %v", err)
		})
	}
}
