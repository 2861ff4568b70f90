package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patrol-city/patrol/internal/backoff"
	"github.com/patrol-city/patrol/internal/publisher/broker"
	"github.com/patrol-city/patrol/internal/publisher/outbox"
)

// Writer publishes one message; broker.Writer implements it.
type Writer interface {
	WriteCase(ctx context.Context, key string, value []byte) error
}

// ReporterConfig tunes a Reporter. Zero fields take the defaults.
type ReporterConfig struct {
	// Queue is the number of events held in memory before the oldest are
	// dropped (default 1024): all of them without Dir, with Dir only those
	// not yet moved to the durable queue.
	Queue int
	// RetryBase is the first retry delay (default 500ms).
	RetryBase time.Duration
	// RetryMax caps the retry delay (default 30s).
	RetryMax time.Duration
	// DrainTimeout bounds how long Close keeps publishing queued events
	// (default 10s).
	DrainTimeout time.Duration
	// Dir, when set, keeps events in a durable queue (a publisher/outbox
	// in Dir) from the moment the reporter's goroutine takes them until the
	// broker acknowledged them: they survive a broker outage of any length
	// and a restart (default empty: in memory only, lost on exit).
	Dir string
	// MaxBytes bounds the durable queue (default 64 MiB); events beyond it
	// are dropped and counted.
	MaxBytes int64
}

// Reporter publishes health events in order, in the background, retrying
// with backoff; Report never blocks the caller. NewReporter validates and
// opens the queue, Run publishes until Close, Close drains (bounded by
// DrainTimeout) and waits. A writer that can send
// headers (broker.MessageWriter) gets CloudEvents headers: ce_id =
// event_id, ce_type = patrol.health.<kind>, ce_subject = camera id.
type Reporter struct {
	cfg     ReporterConfig
	w       Writer
	log     *slog.Logger
	mu      sync.Mutex
	queue   []Event
	wake    chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
	closing chan struct{}
	done    chan struct{}
	once    sync.Once
	runMu   sync.Mutex
	running bool
	dropped atomic.Uint64
	sent    atomic.Uint64
	retries atomic.Uint64
	// failing: the last attempt failed (run's goroutine only).
	failing bool
	ob      *outbox.Outbox // durable queue; nil without Dir
}

// NewReporter starts a reporter; Close stops it.
func NewReporter(cfg ReporterConfig, w Writer, log *slog.Logger) (*Reporter, error) {
	if w == nil {
		return nil, errors.New("health: writer required")
	}
	if cfg.Queue == 0 {
		cfg.Queue = 1024
	}
	if cfg.RetryBase == 0 {
		cfg.RetryBase = 500 * time.Millisecond
	}
	if cfg.RetryMax == 0 {
		cfg.RetryMax = 30 * time.Second
	}
	if cfg.DrainTimeout == 0 {
		cfg.DrainTimeout = 10 * time.Second
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = 64 << 20
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Reporter{cfg: cfg, w: w, log: log, wake: make(chan struct{}, 1), closing: make(chan struct{}), done: make(chan struct{})}
	if cfg.Dir != "" {
		ob, err := outbox.New(outbox.Config{Dir: cfg.Dir, MaxBytes: cfg.MaxBytes}, outbox.Deps{Logger: log})
		if err != nil {
			return nil, fmt.Errorf("health: %w", err)
		}
		r.ob = ob
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r, nil
}

// Run publishes events until Close, then what is queued for at most
// DrainTimeout (with a durable queue the rest stays on disk for the next
// start), and returns; ctx ending is a hard stop. It returns an error when
// called twice or after Close.
func (r *Reporter) Run(ctx context.Context) error {
	r.runMu.Lock()
	select {
	case <-r.closing:
		r.runMu.Unlock()
		return errors.New("health: reporter closed")
	default:
	}
	if r.running {
		r.runMu.Unlock()
		return errors.New("health: Run called twice")
	}
	r.running = true
	r.runMu.Unlock()
	stop := context.AfterFunc(ctx, r.cancel)
	defer stop()
	r.run()
	return nil
}

// Report queues an event. When the queue is full the oldest event is
// dropped and counted.
func (r *Reporter) Report(ev Event) {
	r.mu.Lock()
	if len(r.queue) >= r.cfg.Queue {
		r.queue = r.queue[1:]
		r.dropped.Add(1)
	}
	r.queue = append(r.queue, ev)
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Retries returns how many publication attempts failed and were retried.
func (r *Reporter) Retries() uint64 { return r.retries.Load() }

// Dropped returns how many events were dropped because the queue was full.
func (r *Reporter) Dropped() uint64 { return r.dropped.Load() }

// Sent returns how many events were published.
func (r *Reporter) Sent() uint64 { return r.sent.Load() }

// Close makes Run publish what is queued (bounded by DrainTimeout) and
// return, and waits for it; without Run it only releases the queue.
func (r *Reporter) Close() {
	r.once.Do(func() {
		r.runMu.Lock()
		close(r.closing)
		running := r.running
		r.runMu.Unlock()
		if !running {
			r.cancel()
			if r.ob != nil {
				r.persist() // kept for the next start
				if err := r.ob.Close(); err != nil {
					r.log.Warn("health queue close", "err", err)
				}
			}
			return
		}
		t := time.AfterFunc(r.cfg.DrainTimeout, r.cancel)
		<-r.done
		t.Stop()
		r.cancel()
	})
}

func (r *Reporter) run() {
	defer close(r.done)
	if r.ob != nil {
		defer func() {
			r.persist() // what arrived meanwhile waits on disk for the next start
			if err := r.ob.Close(); err != nil {
				r.log.Warn("health queue close", "err", err)
			}
		}()
	}
	for {
		r.persist()
		ev, id, ok := r.next()
		if !ok {
			select {
			case <-r.wake:
				continue
			case <-r.closing:
				return
			}
		}
		if !r.publish(ev) {
			return
		}
		r.ack(id)
	}
}

// persist moves the events reported so far into the durable queue (no-op
// without one).
func (r *Reporter) persist() {
	if r.ob == nil {
		return
	}
	r.mu.Lock()
	evs := r.queue
	r.queue = nil
	r.mu.Unlock()
	for _, ev := range evs {
		raw, err := json.Marshal(ev)
		if err == nil {
			_, err = r.ob.Enqueue(outbox.Pending{Label: ev.CameraID, Case: raw})
		}
		if err != nil {
			r.dropped.Add(1)
			r.log.Error("health event dropped: durable queue refused it", "camera", ev.CameraID, "err", err)
		}
	}
}

// next returns the oldest event waiting (and its queue id when durable).
func (r *Reporter) next() (Event, string, bool) {
	if r.ob != nil {
		for _, id := range r.ob.List() {
			e, err := r.ob.Load(id)
			var ev Event
			if err == nil {
				err = json.Unmarshal(e.Case, &ev)
			}
			if err != nil {
				r.log.Error("health event unreadable, set aside", "entry", id, "err", err)
				_ = r.ob.Quarantine(id, err)
				continue
			}
			return ev, id, true
		}
		return Event{}, "", false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.queue) == 0 {
		return Event{}, "", false
	}
	return r.queue[0], "", true
}

// ack removes a published event from its queue.
func (r *Reporter) ack(id string) {
	if r.ob != nil {
		if err := r.ob.Done(id); err != nil {
			r.log.Warn("health queue", "err", err)
		}
		return
	}
	r.mu.Lock()
	if len(r.queue) > 0 {
		r.queue = r.queue[1:]
	}
	r.mu.Unlock()
}

// publish retries until the event is written; false when the reporter is
// cancelled first.
func (r *Reporter) publish(ev Event) bool {
	msg, err := json.Marshal(ev)
	if err != nil {
		r.log.Error("health event not encodable", "err", err)
		return true
	}
	m := broker.Message{
		Key: ev.CameraID, Value: msg, ID: ev.EventID,
		Source:  broker.SourcePrefix + url.PathEscape(ev.Worker),
		Type:    "patrol.health." + ev.Kind,
		Subject: ev.CameraID, Time: ev.At,
	}
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(r.ctx, 15*time.Second)
		var err error
		if mw, ok := r.w.(broker.MessageWriter); ok {
			err = mw.WriteMessage(ctx, m)
		} else {
			err = r.w.WriteCase(ctx, m.Key, m.Value)
		}
		cancel()
		if err == nil {
			r.sent.Add(1)
			if r.failing {
				r.failing = false
				r.log.Info("health events published again", "retries", r.retries.Load())
			}
			return true
		}
		if r.ctx.Err() != nil {
			return false
		}
		delay := backoff.Delay(r.cfg.RetryBase, r.cfg.RetryMax, attempt)
		r.retries.Add(1)
		// Logged when publishing starts failing, not at every retry (a
		// node with many cameras would write a line per event and retry
		// through an outage); the retries are counted (Retries) and the
		// broker's state is in /healthz.
		if !r.failing {
			r.failing = true
			r.log.Warn("health events not published; retrying until the broker takes them", "camera", ev.CameraID, "err", err)
		} else {
			r.log.Debug("health event not published, retrying", "camera", ev.CameraID, "in", delay.Round(time.Millisecond), "err", err)
		}
		if !r.sleep(delay) {
			return false
		}
	}
}

// sleep waits d, persisting events reported meanwhile; false when the
// reporter is cancelled first.
func (r *Reporter) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return true
		case <-r.wake:
			r.persist()
		case <-r.ctx.Done():
			return false
		}
	}
}
