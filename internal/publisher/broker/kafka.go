// Package broker writes patrol's messages to Kafka with kafka-go: Writer
// publishes one topic with CloudEvents headers (ce_*) and acks from all
// in-sync replicas, over the connection settings of internal/kafka
// (kafka.Security). It builds with CGO_ENABLED=0.
package broker

import (
	"context"
	"errors"
	"fmt"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/patrol-city/patrol/internal/kafka"
)

// CloudEvents attributes shared by every patrol message.
const (
	// CloudEventsSpecVersion is the value of header ce_specversion.
	CloudEventsSpecVersion = "1.0"
	// SourcePrefix precedes the (path-escaped) worker name in ce_source:
	// "/patrol/workers/w1".
	SourcePrefix = "/patrol/workers/"
)

// ErrRejected is returned (wrapped) by a writer when the broker refused a
// message for good (too large, invalid): retrying would not help.
var ErrRejected = errors.New("publisher: message rejected by the broker")

// Message is one case message: its Kafka key and value and its CloudEvents
// attributes. Every attribute is derived from the case, so a message
// published again carries the same ones.
type Message struct {
	// Key is the camera id.
	Key string
	// Value is the case JSON.
	Value []byte
	// ID is ce_id: "<case_id>:<seq>", the de-duplication key.
	ID string
	// Source is ce_source: SourcePrefix + worker.
	Source string
	// Type is ce_type: CaseEventTypePrefix + event ("patrol.case.opened").
	Type string
	// Subject is ce_subject: the case id.
	Subject string
	// Time is ce_time: when the case event happened (confirmed_at for
	// "opened").
	Time time.Time
}

// MessageWriter publishes a message with its CloudEvents headers;
// Writer implements it. A CaseWriter that does not is given the key and
// value only.
type MessageWriter interface {
	WriteMessage(ctx context.Context, m Message) error
}

// Writer publishes messages to one topic with kafka-go, waiting for
// acknowledgement by all in-sync replicas.
type Writer struct {
	w *kafkago.Writer
}

// WriterConfig configures a Writer.
type WriterConfig struct {
	// Brokers are the bootstrap brokers (required).
	Brokers []string
	// Topic is the topic written (required).
	Topic string
	// Security is how to reach the brokers (default: plaintext).
	Security kafka.Security
}

// NewWriter returns a writer for cfg.Topic. Messages with the same key go
// to the same partition (hash balancer); it connects on the first write.
func NewWriter(cfg WriterConfig) (*Writer, error) {
	if len(cfg.Brokers) == 0 || cfg.Topic == "" {
		return nil, errors.New("kafka: brokers and topic required")
	}
	var transport kafkago.RoundTripper
	if sec := cfg.Security; sec.TLS != nil || sec.SASL != nil {
		transport = &kafkago.Transport{TLS: sec.TLS, SASL: sec.SASL}
	}
	return &Writer{w: &kafkago.Writer{
		Transport:              transport,
		Addr:                   kafkago.TCP(cfg.Brokers...),
		Topic:                  cfg.Topic,
		Balancer:               &kafkago.Hash{},
		RequiredAcks:           kafkago.RequireAll,
		BatchTimeout:           10 * time.Millisecond,
		MaxAttempts:            3,
		AllowAutoTopicCreation: true,
	}}, nil
}

// WriteCase implements CaseWriter: a message without headers.
func (k *Writer) WriteCase(ctx context.Context, key string, value []byte) error {
	return k.write(ctx, kafkago.Message{Key: []byte(key), Value: value})
}

// WriteBatch writes the records keys[i] = values[i] (a nil value is a
// tombstone) in one call: kafka-go batches them per partition, acks all,
// instead of a round trip per record.
func (k *Writer) WriteBatch(ctx context.Context, keys []string, values [][]byte) error {
	if len(keys) != len(values) {
		return errors.New("kafka: WriteBatch: keys and values differ in length")
	}
	msgs := make([]kafkago.Message, len(keys))
	for i := range keys {
		msgs[i] = kafkago.Message{Key: []byte(keys[i]), Value: values[i]}
	}
	return k.write(ctx, msgs...)
}

// WriteMessage implements MessageWriter: the value with the CloudEvents
// headers ce_specversion, ce_id, ce_source, ce_type, ce_subject, ce_time
// (RFC 3339, UTC) and content-type application/json.
func (k *Writer) WriteMessage(ctx context.Context, m Message) error {
	h := func(k, v string) kafkago.Header { return kafkago.Header{Key: k, Value: []byte(v)} }
	return k.write(ctx, kafkago.Message{Key: []byte(m.Key), Value: m.Value, Headers: []kafkago.Header{
		h("ce_specversion", CloudEventsSpecVersion),
		h("ce_id", m.ID),
		h("ce_source", m.Source),
		h("ce_type", m.Type),
		h("ce_subject", m.Subject),
		h("ce_time", m.Time.UTC().Format(time.RFC3339Nano)),
		h("content-type", "application/json"),
	}})
}

func (k *Writer) write(ctx context.Context, m ...kafkago.Message) error {
	err := k.w.WriteMessages(ctx, m...)
	if err == nil {
		return nil
	}
	if rejected(err) {
		return fmt.Errorf("kafka %s: %w: %w", k.w.Topic, ErrRejected, err)
	}
	return fmt.Errorf("kafka %s: %w", k.w.Topic, err)
}

// rejected reports whether a write error is final (the message itself is
// refused), so that retrying cannot help.
func rejected(err error) bool {
	var we kafkago.WriteErrors
	if errors.As(err, &we) {
		for _, e := range we {
			if e != nil && rejected(e) {
				return true
			}
		}
		return false
	}
	var tl kafkago.MessageTooLargeError
	return errors.As(err, &tl) || errors.Is(err, kafkago.MessageSizeTooLarge) || errors.Is(err, kafkago.InvalidMessage)
}

// Close flushes and closes the writer.
func (k *Writer) Close() error { return k.w.Close() }
