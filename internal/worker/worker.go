// Package worker assembles a patrol worker from its configuration: the
// detector, the evidence store, the Kafka case writer, the publisher and the
// pipeline over every camera. cmd/patrol's run and demo commands use it.
//
// New only validates; Run fetches the model, checks the services, binds
// the metrics port, starts every part and blocks; Close stops a running
// worker and waits for it (and does nothing to one never run).
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/kafka"
	"github.com/patrol-city/patrol/internal/pipeline"
	"github.com/patrol-city/patrol/internal/publisher"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/publisher/health"
	"github.com/patrol-city/patrol/internal/runonce"
	"github.com/patrol-city/patrol/internal/worker/depcheck"
	"github.com/patrol-city/patrol/internal/worker/metrics"
	"github.com/patrol-city/patrol/models/assets"
)

// Deps overrides parts of the worker; zero fields are built from the
// configuration.
type Deps struct {
	// Logger receives the worker's log; nil is silent.
	Logger *slog.Logger
	// Store defaults to the store of cfg.Evidence.
	Store evidence.Store
	// Cases defaults to a Kafka writer on cfg.Kafka.CasesTopic.
	Cases publisher.CaseWriter
	// Health defaults to a Kafka writer on cfg.Kafka.HealthTopic.
	Health health.Writer
	// Fetcher resolves the model when cfg.Model.Path is empty (default
	// assets.DefaultFetcher()).
	Fetcher *assets.Fetcher
	// OnPublished is told about every published case (optional).
	OnPublished func(*cases.Case)
}

// Worker is a patrol worker: built by New, run by Run.
type Worker struct {
	cfg *config.Config
	in  Deps
	log *slog.Logger
	sec kafka.Security
	// kafkaOwned: the worker writes cases or health to Kafka itself.
	kafkaOwned bool
	// shutdownTimeout bounds Run after its context ends (cfg.ShutdownTimeout).
	shutdownTimeout time.Duration

	life  runonce.Guard
	ready chan struct{} // closed when every part is up (see Ready)

	// Set by Run before ready is closed.
	pub      *publisher.Publisher
	deps     *depcheck.Watcher
	rep      *health.Reporter
	pipe     *pipeline.Pipeline
	metrics  *metrics.Server
	fleet    *fleet // nil unless cluster.enabled
	closers  []func() error
	modelSHA string
	bg       sync.WaitGroup // the publisher's, the reporter's and the metrics' Run
}

// New validates the configuration and what the worker builds from it
// (the Kafka section and its TLS and SASL files when the worker writes to
// Kafka itself). It starts nothing: no download, probe, listener or
// goroutine.
func New(cfg *config.Config, deps Deps) (*Worker, error) {
	if cfg == nil {
		return nil, errors.New("worker: configuration required")
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	w := &Worker{cfg: cfg, in: deps, log: deps.Logger, shutdownTimeout: cfg.ShutdownTimeout,
		ready: make(chan struct{})}
	if w.shutdownTimeout <= 0 {
		w.shutdownTimeout = 20 * time.Second
	}
	w.kafkaOwned = deps.Cases == nil || deps.Health == nil
	if w.kafkaOwned {
		if err := cfg.ValidateKafka(); err != nil {
			return nil, err
		}
	}
	var err error
	if w.sec, err = kafka.SecurityFor(cfg.Kafka); err != nil {
		return nil, err
	}
	return w, nil
}

// Ready is closed once Run has every part up: the model loaded, the
// services checked, the metrics port bound and the cameras starting.
// MetricsAddr, Pipeline and ModelSHA are valid from then on.
func (w *Worker) Ready() <-chan struct{} { return w.ready }

// MetricsAddr is the address of /metrics and /healthz ("" when off or
// before Ready).
func (w *Worker) MetricsAddr() string {
	if !w.isReady() || w.metrics == nil {
		return ""
	}
	return w.metrics.Addr()
}

// Pipeline exposes the running pipeline (for stats and tests; nil before
// Ready).
func (w *Worker) Pipeline() *pipeline.Pipeline {
	if !w.isReady() {
		return nil
	}
	return w.pipe
}

// ModelSHA is the sha256 of the detector's model file ("" before Ready).
func (w *Worker) ModelSHA() string {
	if !w.isReady() {
		return ""
	}
	return w.modelSHA
}

func (w *Worker) isReady() bool { return runonce.Closed(w.ready) }

// ErrShutdownTimeout is returned by Run when the worker did not stop within
// the configuration's shutdown_timeout after its context ended (a camera
// or decoder that does not let go, a drain that cannot finish). Queued cases
// stay in the outbox for the next start; the caller should exit.
var ErrShutdownTimeout = errors.New("worker: shutdown timed out")

// Run builds every part (a bad model, store or a service that refuses the
// configuration fails here, naming what is wrong; a service that is only
// down is retried in the background), runs every camera until ctx ends or
// Close, then publishes the cases in flight and releases everything,
// within shutdown_timeout. It returns nil on a clean stop and an error
// wrapping ErrShutdownTimeout when the stop took longer (the rest is then
// abandoned to the process exit). Run may be called once.
func (w *Worker) Run(ctx context.Context) error {
	ctx, finish, err := w.life.Start(ctx)
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	defer finish()
	result := make(chan error, 1)
	go func() { result <- w.run(ctx) }()
	select {
	case err := <-result:
		return err
	case <-ctx.Done():
	}
	t := time.NewTimer(w.shutdownTimeout)
	defer t.Stop()
	select {
	case err := <-result:
		return err
	case <-t.C:
		w.log.Error("shutdown timed out; exiting with work left (queued cases stay in the outbox)", "timeout", w.shutdownTimeout)
		return fmt.Errorf("%w after %v", ErrShutdownTimeout, w.shutdownTimeout)
	}
}

// Close stops a running worker and waits until Run has returned (within
// shutdown_timeout); a worker never run has nothing to release.
func (w *Worker) Close() { w.life.Close() }

func (w *Worker) run(ctx context.Context) error {
	if err := w.assemble(ctx); err != nil {
		w.closeAll()
		return err
	}
	close(w.ready)
	dctx, stopDeps := context.WithCancel(ctx)
	depsDone := make(chan struct{})
	go func() { defer close(depsDone); _ = w.deps.Run(dctx) }()
	leave := w.joinFleet(ctx)
	err := w.pipe.Run(ctx)
	// The cameras have stopped and their open cases are on the case-state
	// topic: hand them over before draining the outbox.
	leave()
	stopDeps()
	<-depsDone
	w.closeAll() // publishes what is in flight first, then closes the writers
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}

// joinFleet starts the fleet's membership and camera reconciliation (a
// no-op outside a fleet); the returned function waits for the
// reconciliation to end with ctx, then leaves the group.
func (w *Worker) joinFleet(ctx context.Context) (leave func()) {
	if w.fleet == nil {
		return func() {}
	}
	_, leave = w.fleet.join(ctx)
	return leave
}

// closeAll drains and closes the parts in the reverse order of their
// start, then waits for the goroutines that ran them.
func (w *Worker) closeAll() {
	if w.pub != nil {
		w.pub.Close()
	}
	for i := len(w.closers) - 1; i >= 0; i-- {
		if err := w.closers[i](); err != nil {
			w.log.Warn("close", "err", err)
		}
	}
	w.closers = nil
	w.bg.Wait()
}
