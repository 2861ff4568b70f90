// Package recheck keeps a worker's account of the re-check requests (核查)
// on patrol.rechecks.v1: the requests waiting for an answer, the ones
// being answered, and the answers seen, so that every request is
// answered once by the camera's owner, a worker that gains a camera
// answers what waits for it (a hand-over after a kill), and a repeated
// request id gets the same answer again. It holds no Kafka client and
// no camera: the worker feeds it what it reads and asks it what to
// answer. It builds with CGO_ENABLED=0.
package recheck

import (
	"sort"
	"sync"
	"time"

	"github.com/patrol-city/patrol/cases"
)

// Config bounds what a Book keeps; zero values take the defaults.
type Config struct {
	// PendingFor is how long a request waits for its camera's owner
	// after it was asked (requested_at) before it is dropped unanswered
	// (default 5 minutes).
	PendingFor time.Duration
	// MaxPending bounds the requests waiting (default 1000); beyond it
	// the oldest is dropped.
	MaxPending int
	// AnswersFor is how long an answer is remembered for repeats of its
	// request id (default 24 hours).
	AnswersFor time.Duration
	// MaxAnswers bounds the answers remembered (default 10000); beyond
	// it the oldest is forgotten.
	MaxAnswers int
}

// Defaults of Config.
const (
	DefaultPendingFor = 5 * time.Minute
	DefaultMaxPending = 1000
	DefaultAnswersFor = 24 * time.Hour
	DefaultMaxAnswers = 10000
)

func (c Config) withDefaults() Config {
	if c.PendingFor <= 0 {
		c.PendingFor = DefaultPendingFor
	}
	if c.MaxPending <= 0 {
		c.MaxPending = DefaultMaxPending
	}
	if c.AnswersFor <= 0 {
		c.AnswersFor = DefaultAnswersFor
	}
	if c.MaxAnswers <= 0 {
		c.MaxAnswers = DefaultMaxAnswers
	}
	return c
}

// Task is a request to answer: Repeat, when set, is the answer already
// given to its request id, to be sent again as it is.
type Task struct {
	Request cases.Recheck
	Repeat  *cases.Recheck
}

type pending struct {
	Task
	seen  time.Time
	taken bool
}

type answered struct {
	answer cases.Recheck
	seen   time.Time
}

// Stats counts what a Book saw.
type Stats struct {
	// Requests are the requests seen (repeats included), Repeats the
	// requests whose id was answered already.
	Requests, Repeats uint64
	// Answers counts the answers seen, by status.
	Answers map[string]uint64
	// Expired counts requests dropped unanswered after PendingFor or
	// beyond MaxPending; Stale the requests older than PendingFor when
	// read (history at start-up), never answered.
	Expired, Stale uint64
	// Pending is how many wait now.
	Pending int
}

// Book is the account; safe for concurrent use.
type Book struct {
	cfg Config
	now func() time.Time

	mu      sync.Mutex
	pending map[string]*pending // by request id
	answers map[string]answered // by request id
	order   []string            // answer ids, oldest first
	stats   Stats
}

// NewBook returns an empty book; now defaults to time.Now.
func NewBook(cfg Config, now func() time.Time) *Book {
	if now == nil {
		now = time.Now
	}
	return &Book{cfg: cfg.withDefaults(), now: now, pending: map[string]*pending{}, answers: map[string]answered{},
		stats: Stats{Answers: map[string]uint64{}}}
}

// Request records a request read from the topic (valid: ParseRecheck).
// A request already waiting or being answered is not added again; one
// whose id was answered waits as a repeat of that answer. A request of
// the topic's history (read at start-up, before it was live) asked more
// than PendingFor ago is stale and dropped; a live one is taken whatever
// its requested_at says (the requester's clock may be off).
func (b *Book) Request(r cases.Recheck, history bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.expire(now)
	b.stats.Requests++
	if _, ok := b.pending[r.RequestID]; ok {
		return
	}
	t := Task{Request: r}
	if a, ok := b.answers[r.RequestID]; ok {
		b.stats.Repeats++
		t.Repeat = &a.answer
	} else if history && r.RequestedAt != nil && now.Sub(*r.RequestedAt) > b.cfg.PendingFor {
		b.stats.Stale++
		return
	}
	b.pending[r.RequestID] = &pending{Task: t, seen: now}
	for len(b.pending) > b.cfg.MaxPending && b.dropOldest() {
	}
}

// Answer records an answer read from the topic (or just sent): its
// request stops waiting, and its id is answered from now on.
func (b *Book) Answer(a cases.Recheck) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	delete(b.pending, a.RequestID)
	b.stats.Answers[a.Status]++
	if _, ok := b.answers[a.RequestID]; ok {
		return // a repeat (or a late second answer): the first one stands
	}
	b.order = append(b.order, a.RequestID)
	b.answers[a.RequestID] = answered{answer: a, seen: now}
	b.expire(now)
}

// Answered returns the answer given to request id.
func (b *Book) Answered(id string) (cases.Recheck, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a, ok := b.answers[id]
	return a.answer, ok
}

// Take returns the waiting requests whose camera owns says this worker
// answers, oldest first, and marks them taken: they are not returned
// again unless Release puts them back.
func (b *Book) Take(owns func(camera string) bool) []Task {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.expire(b.now())
	var out []*pending
	for _, p := range b.pending {
		if !p.taken && owns(p.Request.CameraID) {
			p.taken = true
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].seen.Equal(out[j].seen) {
			return out[i].seen.Before(out[j].seen)
		}
		return out[i].Request.RequestID < out[j].Request.RequestID
	})
	tasks := make([]Task, len(out))
	for i, p := range out {
		tasks[i] = p.Task
	}
	return tasks
}

// Release puts a taken request back to wait (its answer was not sent).
func (b *Book) Release(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p, ok := b.pending[id]; ok {
		p.taken = false
	}
}

// Stats returns the counters.
func (b *Book) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.stats
	s.Answers = make(map[string]uint64, len(b.stats.Answers))
	for k, v := range b.stats.Answers {
		s.Answers[k] = v
	}
	s.Pending = len(b.pending)
	return s
}

// expire drops the requests waiting longer than PendingFor (not the ones
// being answered) and the answers older than AnswersFor or beyond
// MaxAnswers.
func (b *Book) expire(now time.Time) {
	for id, p := range b.pending {
		if !p.taken && now.Sub(p.seen) > b.cfg.PendingFor {
			delete(b.pending, id)
			b.stats.Expired++
		}
	}
	for len(b.order) > 0 {
		id := b.order[0]
		a := b.answers[id]
		if len(b.order) <= b.cfg.MaxAnswers && now.Sub(a.seen) <= b.cfg.AnswersFor {
			break
		}
		delete(b.answers, id)
		b.order = b.order[1:]
	}
}

// dropOldest drops the request waiting longest (not one being answered);
// false when every one is being answered.
func (b *Book) dropOldest() bool {
	var oldest *pending
	for _, p := range b.pending {
		if !p.taken && (oldest == nil || p.seen.Before(oldest.seen)) {
			oldest = p
		}
	}
	if oldest == nil {
		return false
	}
	delete(b.pending, oldest.Request.RequestID)
	b.stats.Expired++
	return true
}
