package kafka

import (
	"context"
	"crypto/tls"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
)

// EnsureTopics creates the topics (one partition each, the replication
// of DefaultReplication) when they do not exist yet.
func EnsureTopics(ctx context.Context, brokers []string, topics ...string) error {
	return EnsureTopicsSecure(ctx, Security{}, brokers, topics...)
}

// Security is how to reach a secured broker: TLS (CA, client
// certificate) and SASL (PLAIN, SCRAM-SHA-256/512). Zero: plaintext.
type Security struct {
	TLS  *tls.Config
	SASL sasl.Mechanism
}

// Dialer returns a kafka-go dialer with the security settings.
func (s Security) Dialer() *kafkago.Dialer {
	return &kafkago.Dialer{Timeout: 10 * time.Second, DualStack: true, TLS: s.TLS, SASLMechanism: s.SASL}
}

// EnsureTopicsSecure is EnsureTopics over a secured connection.
func EnsureTopicsSecure(ctx context.Context, sec Security, brokers []string, topics ...string) error {
	specs := make([]Topic, len(topics))
	for i, t := range topics {
		specs[i] = Topic{Name: t}
	}
	return CreateTopics(ctx, sec, brokers, Replication{}, specs...)
}
