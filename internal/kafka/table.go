package kafka

import (
	"context"
	"log/slog"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/kafka/ktable"
)

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

// TableOptions are OpenTable's optional settings.
type TableOptions struct {
	// Timeout bounds creating the topic and reading what it held
	// (default 30s).
	Timeout time.Duration
	// Logger receives the follower's log; nil is silent.
	Logger *slog.Logger
	// OnChange is told about every message after the first read
	// (optional).
	OnChange func(ktable.Entry)
}

// OpenTable creates topic when it is missing (with cfg's replication),
// follows it with cfg's security and waits until it has read what the
// topic held. Close releases it.
func OpenTable(ctx context.Context, cfg *config.Config, topic Topic, opts TableOptions) (*Table, error) {
	if err := cfg.ValidateKafka(); err != nil {
		return nil, err
	}
	sec, err := SecurityFor(cfg.Kafka)
	if err != nil {
		return nil, err
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	cctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	if err := CreateTopics(cctx, sec, cfg.Kafka.Brokers, ReplicationOf(cfg.Kafka), topic); err != nil {
		return nil, err
	}
	kt, err := ktable.New(sec.TableConfig(cfg.Kafka.Brokers, topic.Name), ktable.Deps{Logger: opts.Logger, OnChange: opts.OnChange})
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
