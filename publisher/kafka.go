package publisher

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"
)

// KafkaWriter publishes messages to one topic with kafka-go, waiting for
// acknowledgement by all in-sync replicas.
type KafkaWriter struct {
	w *kafka.Writer
}

// NewKafkaWriter returns a writer for topic on brokers. Messages with the
// same key go to the same partition (hash balancer).
func NewKafkaWriter(brokers []string, topic string) (*KafkaWriter, error) {
	if len(brokers) == 0 || topic == "" {
		return nil, errors.New("kafka: brokers and topic required")
	}
	return &KafkaWriter{w: &kafka.Writer{
		Addr:                   kafka.TCP(brokers...),
		Topic:                  topic,
		Balancer:               &kafka.Hash{},
		RequiredAcks:           kafka.RequireAll,
		BatchTimeout:           10 * time.Millisecond,
		MaxAttempts:            3,
		AllowAutoTopicCreation: true,
	}}, nil
}

// WriteCase implements CaseWriter.
func (k *KafkaWriter) WriteCase(ctx context.Context, key string, value []byte) error {
	if err := k.w.WriteMessages(ctx, kafka.Message{Key: []byte(key), Value: value}); err != nil {
		return fmt.Errorf("kafka %s: %w", k.w.Topic, err)
	}
	return nil
}

// Close flushes and closes the writer.
func (k *KafkaWriter) Close() error { return k.w.Close() }

// EnsureTopics creates the topics (single partition, replication 1 on a
// single broker, else 3) when they do not exist yet.
func EnsureTopics(ctx context.Context, brokers []string, topics ...string) error {
	var d kafka.Dialer
	conn, err := d.DialContext(ctx, "tcp", brokers[0])
	if err != nil {
		return fmt.Errorf("kafka: dial %s: %w", brokers[0], err)
	}
	defer conn.Close()
	ctrl, err := conn.Controller()
	if err != nil {
		return fmt.Errorf("kafka: controller: %w", err)
	}
	cc, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ctrl.Host, strconv.Itoa(ctrl.Port)))
	if err != nil {
		return fmt.Errorf("kafka: dial controller: %w", err)
	}
	defer cc.Close()
	brokersList, err := conn.Brokers()
	if err != nil {
		return fmt.Errorf("kafka: brokers: %w", err)
	}
	rf := 3
	if len(brokersList) < 3 {
		rf = 1
	}
	var cfgs []kafka.TopicConfig
	for _, t := range topics {
		cfgs = append(cfgs, kafka.TopicConfig{Topic: t, NumPartitions: 1, ReplicationFactor: rf})
	}
	if err := cc.CreateTopics(cfgs...); err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
		return fmt.Errorf("kafka: create topics: %w", err)
	}
	return nil
}
