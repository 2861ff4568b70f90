// Package ktable follows a compacted Kafka topic as a table of its newest
// value per key: every partition from its start, then live. The camera
// registry (patrol.cameras.v1) and the open-case state
// (patrol.casestate.v1) are read this way.
//
// It uses franz-go's kgo client rather than kafka-go: kafka-go's Reader
// follows one partition per Reader (or a consumer group's share of them),
// while a table needs every partition of the topic from offset 0 without
// a group, which one kgo client does with one connection per broker.
// Writes go through kafka-go like every other patrol message
// (internal/publisher/broker).
package ktable

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
)

// Config is what to follow.
type Config struct {
	// Brokers are host:port addresses (required).
	Brokers []string
	// Topic is the compacted topic (required).
	Topic string
	// TLS secures the connection (default none).
	TLS *tls.Config
	// SASL authenticates (default none).
	SASL sasl.Mechanism
}

// Entry is the newest message of a key.
type Entry struct {
	Key string
	// Value is nil for a tombstone (the key was deleted).
	Value     []byte
	Partition int32
	Offset    int64
}

// Deps are optional collaborators.
type Deps struct {
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
	// OnChange is told about every message read, in partition order,
	// from Run's goroutine (optional). A tombstone has a nil Value.
	OnChange func(Entry)
}

// Table is the followed topic.
type Table struct {
	cfg    Config
	deps   Deps
	client *kgo.Client

	mu   sync.Mutex
	rows map[string]Entry
	next map[int32]int64 // next offset to read, per partition
	cond *sync.Cond
}

// ErrConfig is wrapped by New's errors.
var ErrConfig = errors.New("ktable: invalid configuration")

// New checks the configuration and builds the client; it does not
// connect (Run does).
func New(cfg Config, deps Deps) (*Table, error) {
	if len(cfg.Brokers) == 0 || cfg.Topic == "" {
		return nil, fmt.Errorf("%w: brokers and topic required", ErrConfig)
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ConsumeTopics(cfg.Topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(500 * time.Millisecond),
		kgo.MetadataMinAge(time.Second),
	}
	if cfg.TLS != nil {
		opts = append(opts, kgo.DialTLSConfig(cfg.TLS))
	}
	if cfg.SASL != nil {
		opts = append(opts, kgo.SASL(cfg.SASL))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	t := &Table{cfg: cfg, deps: deps, client: cl, rows: map[string]Entry{}, next: map[int32]int64{}}
	t.cond = sync.NewCond(&t.mu)
	return t, nil
}

// Run reads the topic until ctx ends.
func (t *Table) Run(ctx context.Context) error {
	for {
		fs := t.client.PollFetches(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fs.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.Canceled) {
				t.deps.Logger.Warn("table fetch", "topic", topic, "partition", p, "err", err)
			}
		})
		fs.EachRecord(func(r *kgo.Record) {
			e := Entry{Key: string(r.Key), Value: r.Value, Partition: r.Partition, Offset: r.Offset}
			t.mu.Lock()
			if e.Value == nil {
				delete(t.rows, e.Key)
			} else {
				t.rows[e.Key] = e
			}
			t.next[r.Partition] = r.Offset + 1
			t.mu.Unlock()
			if t.deps.OnChange != nil {
				t.deps.OnChange(e)
			}
		})
		t.cond.Broadcast()
	}
}

// Sync waits until the table has read everything written to the topic
// before the call (its end offsets now), or ctx ends. Run must be running.
func (t *Table) Sync(ctx context.Context) error {
	ends, err := t.endOffsets(ctx)
	for err != nil {
		// A topic just created takes a moment to show in the metadata
		// of every broker.
		select {
		case <-ctx.Done():
			return err
		case <-time.After(200 * time.Millisecond):
		}
		ends, err = t.endOffsets(ctx)
	}
	stop := context.AfterFunc(ctx, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		t.cond.Broadcast()
	})
	defer stop()
	t.mu.Lock()
	defer t.mu.Unlock()
	for {
		behind := false
		for p, end := range ends {
			if t.next[p] < end {
				behind = true
				break
			}
		}
		if !behind {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("ktable %s: not in sync: %w", t.cfg.Topic, ctx.Err())
		}
		t.cond.Wait()
	}
}

// endOffsets returns the high watermark of every partition of the topic.
func (t *Table) endOffsets(ctx context.Context) (map[int32]int64, error) {
	ends, err := EndOffsets(ctx, t.client, t.cfg.Topic)
	if err != nil {
		return nil, fmt.Errorf("ktable %s: %w", t.cfg.Topic, err)
	}
	return ends[t.cfg.Topic], nil
}

// Get returns the newest value of key.
func (t *Table) Get(key string) (Entry, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.rows[key]
	return e, ok
}

// All returns every live entry, by key.
func (t *Table) All() []Entry {
	t.mu.Lock()
	out := make([]Entry, 0, len(t.rows))
	for _, e := range t.rows {
		out = append(out, e)
	}
	t.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Close releases the client; call it after Run returned.
func (t *Table) Close() { t.client.Close() }
