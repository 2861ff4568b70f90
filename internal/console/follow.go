package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/patrol-city/patrol/internal/kafka"
	"github.com/patrol-city/patrol/internal/kafka/ktable"
)

// follower reads topics that are not compacted (cases, health, verdicts)
// from their first message on, then live, and hands every record to
// handle in partition order.
//
// It uses franz-go's kgo client, like worker/ktable, rather than
// kafka-go: kafka-go's Reader follows one partition per Reader (or a
// consumer group's share), while the console needs every partition of
// several topics from offset 0 without a group (each console instance
// reads everything), which one kgo client does. Writes go through
// kafka-go like every other patrol message (publisher/broker).
type follower struct {
	topics []string
	client *kgo.Client
	handle func(*kgo.Record)
	log    *slog.Logger

	mu   sync.Mutex
	next map[string]map[int32]int64 // topic -> partition -> next offset
	cond *sync.Cond
}

// newFollower builds the client for topics with sec's TLS and SASL; it
// does not connect (run does).
func newFollower(brokers []string, sec kafka.Security, topics []string, handle func(*kgo.Record), log *slog.Logger) (*follower, error) {
	opts := append(sec.KgoOpts(),
		kgo.SeedBrokers(brokers...),
		kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(500*time.Millisecond),
		kgo.MetadataMinAge(time.Second),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("console: kafka client: %w", err)
	}
	f := &follower{topics: topics, client: cl, handle: handle, log: log, next: map[string]map[int32]int64{}}
	f.cond = sync.NewCond(&f.mu)
	return f, nil
}

// run reads until ctx ends.
func (f *follower) run(ctx context.Context) {
	for {
		fs := f.client.PollFetches(ctx)
		if ctx.Err() != nil {
			return
		}
		fs.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.Canceled) {
				f.log.Warn("console: kafka fetch", "topic", topic, "partition", p, "err", err)
			}
		})
		fs.EachRecord(func(r *kgo.Record) {
			f.handle(r)
			f.mu.Lock()
			if f.next[r.Topic] == nil {
				f.next[r.Topic] = map[int32]int64{}
			}
			f.next[r.Topic][r.Partition] = r.Offset + 1
			f.mu.Unlock()
		})
		f.cond.Broadcast()
	}
}

// sync waits until every message written to the topics before the call
// has been handled, or ctx ends; run must be running.
func (f *follower) sync(ctx context.Context) error {
	ends, err := ktable.EndOffsets(ctx, f.client, f.topics...)
	for err != nil {
		select {
		case <-ctx.Done():
			return err
		case <-time.After(500 * time.Millisecond):
		}
		ends, err = ktable.EndOffsets(ctx, f.client, f.topics...)
	}
	stop := context.AfterFunc(ctx, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.cond.Broadcast()
	})
	defer stop()
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		behind := false
		for topic, parts := range ends {
			for p, end := range parts {
				behind = behind || f.next[topic][p] < end
			}
		}
		if !behind {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("console: kafka not read to its end: %w", ctx.Err())
		}
		f.cond.Wait()
	}
}

// close releases the client; call it after run returned.
func (f *follower) close() { f.client.Close() }
