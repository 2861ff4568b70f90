package worker

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/kafka"
	"github.com/patrol-city/patrol/internal/kafka/ktable"
	"github.com/patrol-city/patrol/internal/pipeline"
	"github.com/patrol-city/patrol/internal/publisher/broker"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/recheck"
	"github.com/patrol-city/patrol/internal/worker/metrics"
)

// Re-check settings.
const (
	// recheckParallel bounds the re-checks answered at once.
	recheckParallel = 8
	// recheckSyncTimeout bounds reading the topic's history at start-up
	// before the first answer.
	recheckSyncTimeout = 60 * time.Second
	// recheckTick is how often waiting requests are looked at again (a
	// camera gained by a hand-over starts answering within it).
	recheckTick = time.Second
	// recheckStoreTimeout and recheckSendTimeout bound the picture's
	// upload and the answer's publication.
	recheckStoreTimeout = 3 * time.Second
	recheckSendTimeout  = 5 * time.Second
)

// answerer tells whether this worker answers re-checks of camera now
// (ok), and why it does not run it (notRun "" when it runs it).
type answerer func(camera string) (ok bool, notRun string)

// rechecks answers the re-check requests (核查) of patrol.rechecks.v1:
// every worker follows the topic from its start (recheck.Book keeps the
// requests waiting and the answers given); the worker that runs a
// camera answers its requests (fleet.answers says who answers for a
// camera nobody runs) with a fresh look (pipeline.Recheck), the picture
// stored as evidence role "recheck".
type rechecks struct {
	cfg    *config.Config
	log    *slog.Logger
	table  *ktable.Table
	out    *broker.Writer
	store  evidence.Store
	book   *recheck.Book
	pipe   *pipeline.Pipeline
	answer answerer
	kick   chan struct{}

	invalid  atomic.Uint64
	live     atomic.Bool // the topic's history has been read
	mu       sync.Mutex
	answered map[string]uint64
	repeated uint64

	stop context.CancelFunc
	wg   sync.WaitGroup
}

func newRechecks(cfg *config.Config, sec kafka.Security, log *slog.Logger, out *broker.Writer, store evidence.Store) (*rechecks, error) {
	r := &rechecks{cfg: cfg, log: log, out: out, store: store, book: recheck.NewBook(recheck.Config{}, nil),
		kick: make(chan struct{}, 1), answered: map[string]uint64{}}
	t, err := ktable.New(sec.TableConfig(cfg.Kafka.Brokers, cfg.Kafka.RechecksTopic), ktable.Deps{Logger: log, OnChange: r.onRecord})
	if err != nil {
		return nil, err
	}
	r.table = t
	return r, nil
}

// onRecord takes one message of the topic (Run's goroutine).
func (r *rechecks) onRecord(e ktable.Entry) {
	if e.Value == nil {
		return
	}
	m, err := cases.ParseRecheck(e.Key, e.Value)
	if err != nil {
		r.invalid.Add(1)
		r.log.Warn("re-check message refused", "partition", e.Partition, "offset", e.Offset, "err", err)
		return
	}
	switch m.Type {
	case cases.RecheckRequest:
		r.book.Request(m, !r.live.Load())
		select {
		case r.kick <- struct{}{}:
		default:
		}
	case cases.RecheckAnswer:
		r.book.Answer(m)
	}
}

// start follows the topic and answers until close; ctx ends the looks
// in progress (the worker stops).
func (r *rechecks) start(ctx context.Context, pipe *pipeline.Pipeline, answer answerer) {
	r.pipe, r.answer = pipe, answer
	ctx, r.stop = context.WithCancel(ctx)
	r.wg.Add(2)
	go func() { defer r.wg.Done(); _ = r.table.Run(ctx) }()
	go func() { defer r.wg.Done(); r.run(ctx) }()
}

func (r *rechecks) close() {
	if r.stop != nil {
		r.stop()
		r.wg.Wait()
	}
	r.table.Close()
}

// run reads the topic's history, then answers what this worker owns as
// requests arrive and cameras change hands.
func (r *rechecks) run(ctx context.Context) {
	sctx, cancel := context.WithTimeout(ctx, recheckSyncTimeout)
	if err := r.table.Sync(sctx); err != nil && ctx.Err() == nil {
		r.log.Warn("re-checks topic not read to its end; answering from what was read", "err", err)
	}
	cancel()
	r.live.Store(true)
	sem := make(chan struct{}, recheckParallel)
	tick := time.NewTicker(recheckTick)
	defer tick.Stop()
	for {
		for _, t := range r.book.Take(func(c string) bool { ok, _ := r.answer(c); return ok }) {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			r.wg.Add(1)
			go func() {
				defer func() { <-sem; r.wg.Done() }()
				r.reply(ctx, t)
			}()
		}
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
		case <-tick.C:
		}
	}
}

// Rechecks implements metrics.RecheckSource.
func (r *rechecks) Rechecks() metrics.Rechecks {
	st := r.book.Stats()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := metrics.Rechecks{Requests: st.Requests, Invalid: r.invalid.Load(), Answered: map[string]uint64{},
		Repeated: r.repeated, Expired: st.Expired, Pending: st.Pending}
	for k, v := range r.answered {
		out.Answered[k] = v
	}
	return out
}
