package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	fsasl "github.com/twmb/franz-go/pkg/sasl"
	fplain "github.com/twmb/franz-go/pkg/sasl/plain"
	fscram "github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/kafka/ktable"
	"github.com/patrol-city/patrol/internal/publisher/broker"
)

// tableConfig is the follower of topic with the worker's Kafka security.
func tableConfig(k config.Kafka, topic string) (ktable.Config, error) {
	tc := ktable.Config{Brokers: k.Brokers, Topic: topic}
	sec, err := KafkaSecurity(k)
	if err != nil {
		return tc, err
	}
	tc.TLS = sec.TLS
	if k.SASL.Mechanism == "" {
		return tc, nil
	}
	pass, err := saslPassword(k.SASL)
	if err != nil {
		return tc, err
	}
	var m fsasl.Mechanism
	switch k.SASL.Mechanism {
	case "PLAIN":
		m = fplain.Auth{User: k.SASL.Username, Pass: pass}.AsMechanism()
	case "SCRAM-SHA-256":
		m = fscram.Auth{User: k.SASL.Username, Pass: pass}.AsSha256Mechanism()
	case "SCRAM-SHA-512":
		m = fscram.Auth{User: k.SASL.Username, Pass: pass}.AsSha512Mechanism()
	default:
		return tc, fmt.Errorf("kafka.sasl: unknown mechanism %q", k.SASL.Mechanism)
	}
	tc.SASL = m
	return tc, nil
}

// Table is a followed compacted topic and the goroutine that reads it.
type Table struct {
	*ktable.Table
	stop context.CancelFunc
	done chan struct{}
}

// Close stops the reading goroutine, waits for it and releases the client.
func (t *Table) Close() {
	t.stop()
	<-t.done
	t.Table.Close()
}

// OpenTable creates topic when it is missing, follows it and waits until
// it has read what the topic held (within timeout). onChange is told about
// every message from then on (optional).
func OpenTable(ctx context.Context, cfg *config.Config, topic broker.Topic, timeout time.Duration, log *slog.Logger, onChange func(ktable.Entry)) (*Table, error) {
	if err := cfg.ValidateKafka(); err != nil {
		return nil, err
	}
	sec, err := KafkaSecurity(cfg.Kafka)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := broker.CreateTopics(cctx, sec, cfg.Kafka.Brokers, Replication(cfg.Kafka), topic); err != nil {
		return nil, err
	}
	tc, err := tableConfig(cfg.Kafka, topic.Name)
	if err != nil {
		return nil, err
	}
	kt, err := ktable.New(tc, ktable.Deps{Logger: log, OnChange: onChange})
	if err != nil {
		return nil, err
	}
	rctx, stop := context.WithCancel(context.Background())
	t := &Table{Table: kt, stop: stop, done: make(chan struct{})}
	go func() { defer close(t.done); _ = kt.Run(rctx) }()
	if err := kt.Sync(cctx); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}
