// Package depcheck keeps probing the services a worker depends on (the Kafka
// topics, the evidence bucket) in the background and reports each one's
// state for /healthz and metrics. A worker does not wait for them: it starts,
// watches its cameras and queues cases and health events in its durable
// outbox while a service is down; the probe retries with backoff
// (package backoff) until the service answers, then re-checks it every
// Interval. A probe failure that no retry can fix (wrong credentials, a
// certificate that does not verify) is reported as such by the caller's
// Fatal classifier, so that start-up can refuse a misconfiguration.
package depcheck

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/patrol-city/patrol/internal/backoff"
)

// Probe is one dependency.
type Probe struct {
	// Name is the dependency's name in /healthz and metrics ("kafka",
	// "evidence").
	Name string
	// Check answers nil when the dependency is usable; it must honour ctx.
	Check func(ctx context.Context) error
}

// Config tunes a Watcher. Zero fields take the defaults.
type Config struct {
	// Interval is the time between checks of a dependency that is up
	// (default 30s).
	Interval time.Duration
	// RetryBase and RetryMax bound the backoff between checks of a
	// dependency that is down (defaults 1s and 30s).
	RetryBase, RetryMax time.Duration
	// Timeout bounds one check (default 10s).
	Timeout time.Duration
}

func (c *Config) applyDefaults() {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Interval, 30*time.Second)
	def(&c.RetryBase, time.Second)
	def(&c.RetryMax, 30*time.Second)
	def(&c.Timeout, 10*time.Second)
}

// State is what the last check of one dependency found.
type State struct {
	Name string `json:"name"`
	// Up is true when the last check succeeded.
	Up bool `json:"up"`
	// Error is the last failure ("" when up).
	Error string `json:"error,omitempty"`
	// Since is when the dependency entered its current state.
	Since time.Time `json:"since"`
	// Checks and Failures count checks since start.
	Checks   uint64 `json:"checks"`
	Failures uint64 `json:"failures"`
	// Checked is false until the first check finished.
	Checked bool `json:"checked"`
}

// Deps are a Watcher's collaborators.
type Deps struct {
	// Probes are the dependencies to check (each with a unique name).
	Probes []Probe
	// Logger receives a line when a dependency goes down or comes back;
	// nil is silent.
	Logger *slog.Logger
	// Now is the clock of State.Since (default time.Now).
	Now func() time.Time
}

// Watcher probes dependencies. New starts nothing; Run blocks; Close
// cancels Run and waits for it.
type Watcher struct {
	cfg    Config
	probes []Probe
	log    *slog.Logger
	now    func() time.Time

	mu     sync.Mutex
	states map[string]*State

	runMu  sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// New validates the probes and starts nothing.
func New(cfg Config, deps Deps) (*Watcher, error) {
	cfg.applyDefaults()
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	w := &Watcher{cfg: cfg, log: deps.Logger, now: deps.Now, states: map[string]*State{}}
	for _, p := range deps.Probes {
		if p.Name == "" || p.Check == nil {
			return nil, errors.New("depcheck: a probe needs a name and a check")
		}
		if _, dup := w.states[p.Name]; dup {
			return nil, errors.New("depcheck: duplicate probe " + p.Name)
		}
		w.states[p.Name] = &State{Name: p.Name}
		w.probes = append(w.probes, p)
	}
	return w, nil
}

// Set records the outcome of a check made outside the watcher (the worker's
// first check at start-up).
func (w *Watcher) Set(name string, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	st, ok := w.states[name]
	if !ok {
		return
	}
	up := err == nil
	if !st.Checked || st.Up != up {
		st.Since = w.now()
		switch {
		case up && st.Checked:
			w.log.Info("dependency is back", "dependency", name)
		case !up:
			w.log.Warn("dependency unavailable; retried in the background, cases and health events wait in the outbox", "dependency", name, "err", err)
		}
	}
	st.Checked, st.Up = true, up
	st.Checks++
	st.Error = ""
	if !up {
		st.Failures++
		st.Error = err.Error()
	}
}

// States returns every dependency's state, in probe order.
func (w *Watcher) States() []State {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]State, 0, len(w.probes))
	for _, p := range w.probes {
		out = append(out, *w.states[p.Name])
	}
	return out
}

// Run checks every dependency until ctx ends or Close is called.
func (w *Watcher) Run(ctx context.Context) error {
	w.runMu.Lock()
	if w.done != nil {
		w.runMu.Unlock()
		return errors.New("depcheck: Run called twice")
	}
	ctx, w.cancel = context.WithCancel(ctx)
	w.done = make(chan struct{})
	done := w.done
	w.runMu.Unlock()
	defer close(done)
	var wg sync.WaitGroup
	for _, p := range w.probes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.loop(ctx, p)
		}()
	}
	wg.Wait()
	return nil
}

func (w *Watcher) loop(ctx context.Context, p Probe) {
	fails := 0
	for {
		w.mu.Lock()
		st := *w.states[p.Name]
		w.mu.Unlock()
		wait := w.cfg.Interval
		if !st.Checked {
			wait = 0
		} else if !st.Up {
			fails++
			wait = backoff.Delay(w.cfg.RetryBase, w.cfg.RetryMax, fails)
		} else {
			fails = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		cctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
		err := p.Check(cctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		w.Set(p.Name, err)
	}
}

// Close stops Run and waits for it.
func (w *Watcher) Close() {
	w.runMu.Lock()
	cancel, done := w.cancel, w.done
	w.runMu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}
