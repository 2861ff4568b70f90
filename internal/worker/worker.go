// Package worker assembles a patrol worker from its configuration: the
// detector, the evidence store, the Kafka case writer, the publisher and the
// pipeline over every camera. cmd/patrol's run and demo commands use it.
package worker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/detect/model"
	"github.com/patrol-city/patrol/internal/ingest"
	"github.com/patrol-city/patrol/internal/pipeline"
	"github.com/patrol-city/patrol/internal/publisher"
	"github.com/patrol-city/patrol/internal/publisher/broker"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/publisher/health"
	"github.com/patrol-city/patrol/internal/publisher/outbox"
	"github.com/patrol-city/patrol/internal/worker/depcheck"
	"github.com/patrol-city/patrol/internal/worker/metrics"
	"github.com/patrol-city/patrol/models"
	"github.com/patrol-city/patrol/models/assets"
)

// Deps overrides parts of the worker; zero fields are built from the
// configuration.
type Deps struct {
	// Logger defaults to slog.Default().
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

// Worker is an assembled, not yet running, patrol worker.
type Worker struct {
	log     *slog.Logger
	pub     *publisher.Publisher
	deps    *depcheck.Watcher
	rep     *health.Reporter
	pipe    *pipeline.Pipeline
	metrics *metrics.Server
	fleet   *fleet // nil unless cluster.enabled
	closers []func() error
	// shutdownTimeout bounds Run after its context ends (cfg.ShutdownTimeout).
	shutdownTimeout time.Duration
	ModelSHA        string
}

// New validates and builds everything up front: a bad model, store or broker
// address fails here, naming what is wrong.
func New(ctx context.Context, cfg *config.Config, deps Deps) (_ *Worker, err error) {
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	w := &Worker{log: deps.Logger, shutdownTimeout: cfg.ShutdownTimeout}
	if w.shutdownTimeout <= 0 {
		w.shutdownTimeout = 20 * time.Second
	}
	defer func() {
		if err != nil {
			w.closeAll()
		}
	}()
	dets, sha, closeDets, err := Detectors(ctx, cfg, deps.Fetcher)
	if err != nil {
		return nil, err
	}
	w.closers = append(w.closers, func() error { closeDets(); return nil })
	w.ModelSHA = sha

	store := deps.Store
	var s3 *evidence.S3
	if store == nil {
		store, s3, err = openStore(cfg.Evidence)
		if err != nil {
			return nil, err
		}
	}
	cw, hw := deps.Cases, deps.Health
	sec, err := KafkaSecurity(cfg.Kafka)
	if err != nil {
		return nil, err
	}
	kafkaOwned := cw == nil || hw == nil
	if kafkaOwned {
		if err := cfg.ValidateKafka(); err != nil {
			return nil, err
		}
	}
	probes := dependencyProbes(cfg, sec, kafkaOwned, s3)
	if w.deps, err = depcheck.New(depcheck.Config{}, probes, deps.Logger); err != nil {
		return nil, err
	}
	if err := checkAtStart(ctx, w.deps, probes, deps.Logger); err != nil {
		return nil, err
	}
	if cw == nil {
		kw, err := broker.NewWriter(cfg.Kafka.Brokers, cfg.Kafka.CasesTopic, sec)
		if err != nil {
			return nil, err
		}
		w.closers = append(w.closers, kw.Close)
		cw = kw
	}
	if hw == nil {
		kw, err := broker.NewWriter(cfg.Kafka.Brokers, cfg.Kafka.HealthTopic, sec)
		if err != nil {
			return nil, err
		}
		w.closers = append(w.closers, kw.Close)
		hw = kw
	}
	// Health events wait in a durable queue until Kafka acknowledges them.
	rep, err := health.NewReporter(health.ReporterConfig{DrainTimeout: cfg.ShutdownTimeout / 4,
		Dir: filepath.Join(cfg.DataDir, "health")}, hw, deps.Logger)
	if err != nil {
		return nil, err
	}
	w.rep = rep
	w.closers = append(w.closers, func() error { rep.Close(); return nil })
	pub, err := publisher.New(publisher.Config{
		Worker:   cfg.Worker,
		PreRoll:  cfg.Evidence.PreRoll,
		PostRoll: cfg.Evidence.PostRoll,
		// Half the shutdown budget for post-rolls and the outbox drain;
		// the rest for the cameras, the health events and the writers.
		DrainTimeout: cfg.ShutdownTimeout / 2,
		Model:        cases.Model{Name: cfg.Model.Name, SHA256: sha},
		// Durable outbox: cases survive a crash between acceptance and
		// publication.
		Outbox: outbox.Config{Dir: filepath.Join(cfg.DataDir, "outbox"), MaxBytes: cfg.Outbox.MaxBytes},
		// Opened candidates are on disk before their post-roll.
		PendingDir: filepath.Join(cfg.DataDir, "pending"),
	}, publisher.Deps{Store: store, Cases: cw, Logger: deps.Logger, OnPublished: deps.OnPublished,
		RecoveryClips: recoveryClips(cfg)})
	if err != nil {
		return nil, err
	}
	w.pub = pub
	pdeps := pipeline.Deps{
		Detectors: dets,
		Publisher: pub,
		Logger:    deps.Logger,
		Health:    rep,
	}
	srcs := metrics.Sources{Dependencies: w.deps}
	if len(cfg.Kafka.Brokers) > 0 {
		sp, err := newSuppressions(cfg, deps.Logger)
		if err != nil {
			return nil, err
		}
		sp.start()
		w.closers = append(w.closers, func() error { sp.close(); return nil })
		pdeps.Suppressions = sp
	}
	if cfg.Cluster.Enabled {
		f, err := newFleet(ctx, cfg, deps.Logger)
		if err != nil {
			return nil, err
		}
		w.closers = append(w.closers, func() error { f.close(); return nil })
		w.fleet, pdeps.CaseState, srcs.Cluster = f, f, f
	}
	pipe, err := pipeline.New(cfg, pdeps)
	if err != nil {
		return nil, err
	}
	w.pipe, srcs.Cameras = pipe, pipe
	if w.fleet != nil {
		w.fleet.pipe = pipe
	}
	if addr := cfg.Monitoring.MetricsAddress; addr != "off" {
		ms, err := metrics.New(metrics.Config{Address: addr, Worker: cfg.Worker}, srcs, deps.Logger)
		if err != nil {
			return nil, err
		}
		w.metrics = ms
		deps.Logger.Info("metrics and health", "url", "http://"+ms.Addr()+"/metrics", "healthz", "http://"+ms.Addr()+"/healthz")
	}
	return w, nil
}

// MetricsAddr is the address of /metrics and /healthz ("" when off).
func (w *Worker) MetricsAddr() string {
	if w.metrics == nil {
		return ""
	}
	return w.metrics.Addr()
}

// Pipeline exposes the running pipeline (for stats and tests).
func (w *Worker) Pipeline() *pipeline.Pipeline { return w.pipe }

// ErrShutdownTimeout is returned by Run when the worker did not stop within
// the configuration's shutdown_timeout after its context ended (a camera
// or decoder that does not let go, a drain that cannot finish). Queued cases
// stay in the outbox for the next start; the caller should exit.
var ErrShutdownTimeout = errors.New("worker: shutdown timed out")

// Run runs every camera until ctx ends, then publishes the cases in flight
// and releases everything, within shutdown_timeout. It returns nil on a
// clean stop and an error wrapping ErrShutdownTimeout when the stop took
// longer (the rest is then abandoned to the process exit).
func (w *Worker) Run(ctx context.Context) error {
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

func (w *Worker) run(ctx context.Context) error {
	if w.metrics != nil {
		mctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := w.metrics.Run(mctx); err != nil {
				w.log.Error("metrics server stopped", "err", err)
			}
		}()
		defer func() { stop(); <-done }()
	}
	dctx, stopDeps := context.WithCancel(ctx)
	depsDone := make(chan struct{})
	go func() { defer close(depsDone); _ = w.deps.Run(dctx) }()
	// Health events are published until closeAll (after the cameras
	// stopped), which drains them and waits.
	go func() { _ = w.rep.Run(context.Background()) }()
	// Cases are delivered until closeAll, which drains and waits.
	go func() { _ = w.pub.Run(context.Background()) }()
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
	reconciled := make(chan struct{})
	go func() { defer close(reconciled); w.fleet.run(ctx) }()
	mctx, stop := context.WithCancel(context.Background())
	left := make(chan struct{})
	go func() {
		defer close(left)
		if err := w.fleet.member.Run(mctx); err != nil {
			w.log.Error("fleet membership ended", "err", err)
		}
	}()
	return func() {
		<-reconciled
		stop()
		<-left
	}
}

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
}

func resolveModel(ctx context.Context, cfg *config.Config, f *assets.Fetcher) (path, sha string, classes []string, err error) {
	m, err := models.Get(cfg.Model.Name)
	if err != nil {
		return "", "", nil, err
	}
	if cfg.Model.Path != "" {
		sha, err := assets.SHA256File(cfg.Model.Path)
		if err != nil {
			return "", "", nil, fmt.Errorf("model %s: %w", cfg.Model.Path, err)
		}
		return cfg.Model.Path, sha, m.Classes, nil
	}
	if f == nil {
		f = assets.DefaultFetcher()
	}
	p, m, err := models.Pull(ctx, f, cfg.Model.Name)
	if err != nil {
		return "", "", nil, err
	}
	return p, m.File.SHA256, m.Classes, nil
}

// resolveRuntime returns the ONNX Runtime library of the onnxruntime
// backend ("" for opencv): the configured file, else the pulled one.
func resolveRuntime(ctx context.Context, cfg *config.Config, f *assets.Fetcher) (string, error) {
	if cfg.Model.Backend != model.BackendONNXRuntime {
		return "", nil
	}
	if cfg.Model.RuntimeLibrary != "" {
		return cfg.Model.RuntimeLibrary, nil
	}
	if f == nil {
		f = assets.DefaultFetcher()
	}
	p, _, err := models.PullRuntime(ctx, f, models.ONNXRuntime)
	if err != nil {
		return "", fmt.Errorf("model.backend onnxruntime: %w (or set model.backend: opencv)", err)
	}
	return p, nil
}

// openStore builds the configured store without talking to it (an S3
// store is also returned as such, for its background bucket check).
func openStore(ev config.Evidence) (evidence.Store, *evidence.S3, error) {
	switch ev.Kind {
	case "dir":
		d, err := evidence.NewDir(ev.Dir, ev.Bucket)
		return d, nil, err
	case "s3":
		var t *tls.Config
		if ev.CAFile != "" {
			var err error
			if t, err = tlsConfig(ev.CAFile, "", "", false); err != nil {
				return nil, nil, fmt.Errorf("evidence.ca_file: %w", err)
			}
		}
		s, err := evidence.OpenS3(evidence.S3Config{TLS: t,
			Endpoint: ev.Endpoint, AccessKey: ev.AccessKey, SecretKey: ev.SecretKey,
			Bucket: ev.Bucket, Secure: ev.Secure, PresignExpiry: ev.PresignExpiry,
			Retention: ev.Retention, RetentionMode: ev.RetentionMode,
		})
		if err != nil {
			return nil, nil, err
		}
		return s, s, nil
	}
	return nil, nil, fmt.Errorf("evidence.kind %q unknown", ev.Kind)
}

// recoveryClips reads a camera's history on disk for the cases a killed
// worker left pending (nil when the history is off).
func recoveryClips(cfg *config.Config) func(string) publisher.ClipSource {
	if cfg.Ingest.HistoryDuration < 0 {
		return nil
	}
	root := filepath.Join(cfg.DataDir, "history")
	return func(camera string) publisher.ClipSource {
		r, err := ingest.OpenHistoryReader(root, camera)
		if err != nil {
			return nil
		}
		return r
	}
}
