package worker

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
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

// assemble builds and starts every part in order, the first step of Run:
// the detectors (fetching the model when needed), the store, the first
// check of the services, the writers, the health reporter, the publisher,
// the suppressions, the fleet, the pipeline and the metrics server. What
// it started is released by closeAll, also when it fails half-way.
func (w *Worker) assemble(ctx context.Context) (err error) {
	cfg, deps := w.cfg, w.in
	dets, sha, closeDets, err := Detectors(ctx, cfg, deps.Fetcher)
	if err != nil {
		return err
	}
	w.closers = append(w.closers, func() error { closeDets(); return nil })
	w.modelSHA = sha
	look, err := NewCloserLook(ctx, cfg, deps.Fetcher)
	if err != nil {
		return err
	}
	w.closers = append(w.closers, func() error { look.Close(); return nil })

	store := deps.Store
	var s3 *evidence.S3
	if store == nil {
		if store, s3, err = openStore(cfg.Evidence); err != nil {
			return err
		}
	}
	probes := dependencyProbes(cfg, w.sec, w.kafkaOwned, s3)
	if w.deps, err = depcheck.New(depcheck.Config{}, depcheck.Deps{Probes: probes, Logger: w.log}); err != nil {
		return err
	}
	if err := checkAtStart(ctx, w.deps, probes); err != nil {
		return err
	}
	cw, hw := deps.Cases, deps.Health
	if cw == nil {
		if cw, err = w.writer(cfg.Kafka.CasesTopic); err != nil {
			return err
		}
	}
	if hw == nil {
		if hw, err = w.writer(cfg.Kafka.HealthTopic); err != nil {
			return err
		}
	}
	// Health events wait in a durable queue until Kafka acknowledges them.
	rep, err := health.NewReporter(health.ReporterConfig{DrainTimeout: cfg.ShutdownTimeout / 4,
		Dir: filepath.Join(cfg.DataDir, "health")}, hw, w.log)
	if err != nil {
		return err
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
	}, publisher.Deps{Store: store, Cases: cw, Logger: w.log, OnPublished: deps.OnPublished,
		RecoveryClips: recoveryClips(cfg)})
	if err != nil {
		return err
	}
	w.pub = pub
	// The publisher and the reporter drain on Close (closeAll), not when
	// ctx ends: their Run gets a context that outlives it.
	w.goBackground(ctx, func(c context.Context) { _ = rep.Run(c) })
	w.goBackground(ctx, func(c context.Context) { _ = pub.Run(c) })
	pdeps := pipeline.Deps{Detectors: dets, Publisher: pub, Logger: w.log, Health: rep, Plates: look.Plates, Faces: look.Faces}
	srcs := metrics.Sources{Dependencies: w.deps, Delivery: delivery{pub, rep}}
	if len(cfg.Kafka.Brokers) > 0 {
		sp, err := newSuppressions(cfg, w.sec, w.log)
		if err != nil {
			return err
		}
		sp.start()
		w.closers = append(w.closers, func() error { sp.close(); return nil })
		pdeps.Suppressions = sp
	}
	if cfg.Cluster.Enabled {
		f, err := newFleet(ctx, cfg, w.log)
		if err != nil {
			return err
		}
		w.closers = append(w.closers, func() error { f.close(); return nil })
		w.fleet, pdeps.CaseState, srcs.Cluster = f, f, f
	}
	if w.pipe, err = pipeline.New(cfg, pdeps); err != nil {
		return err
	}
	srcs.Cameras = w.pipe
	if w.fleet != nil {
		w.fleet.pipe = w.pipe
	}
	if len(cfg.Kafka.Brokers) > 0 {
		if srcs.Rechecks, err = w.startRechecks(ctx, store); err != nil {
			return err
		}
	}
	return w.startMetrics(ctx, srcs)
}

// startRechecks follows the re-checks topic and answers the requests of
// this worker's cameras until the worker stops.
func (w *Worker) startRechecks(ctx context.Context, store evidence.Store) (*rechecks, error) {
	out, err := w.writer(w.cfg.Kafka.RechecksTopic)
	if err != nil {
		return nil, err
	}
	rc, err := newRechecks(w.cfg, w.sec, w.log, out, store)
	if err != nil {
		return nil, err
	}
	ans := standaloneAnswerer(w.pipe)
	if w.fleet != nil {
		ans = w.fleet.answers
	}
	rc.start(ctx, w.pipe, ans)
	w.closers = append(w.closers, func() error { rc.close(); return nil })
	return rc, nil
}

// writer is a Kafka writer on topic, closed by closeAll.
func (w *Worker) writer(topic string) (*broker.Writer, error) {
	kw, err := broker.NewWriter(broker.WriterConfig{Brokers: w.cfg.Kafka.Brokers, Topic: topic, Security: w.sec})
	if err != nil {
		return nil, err
	}
	w.closers = append(w.closers, kw.Close)
	return kw, nil
}

// goBackground runs fn in a goroutine that closeAll waits for; its context
// is cancelled only after the parts have been closed.
func (w *Worker) goBackground(ctx context.Context, fn func(context.Context)) {
	bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w.closers = append([]func() error{func() error { cancel(); return nil }}, w.closers...)
	w.bg.Add(1)
	go func() { defer w.bg.Done(); fn(bctx) }()
}

// startMetrics binds /metrics and /healthz (unless off) and waits until
// they listen.
func (w *Worker) startMetrics(ctx context.Context, srcs metrics.Sources) error {
	addr := w.cfg.Monitoring.MetricsAddress
	if addr == "off" {
		return nil
	}
	ms, err := metrics.New(metrics.Config{Address: addr, Worker: w.cfg.Worker, Token: w.cfg.Monitoring.Token}, srcs, w.log)
	if err != nil {
		return err
	}
	mctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	errc := make(chan error, 1)
	w.bg.Add(1)
	go func() {
		defer w.bg.Done()
		err := ms.Run(mctx)
		if err != nil && ms.Addr() != "" {
			w.log.Error("metrics server stopped", "err", err)
		}
		errc <- err
	}()
	w.closers = append(w.closers, func() error { stop(); return nil })
	select {
	case <-ms.Ready():
	case err := <-errc:
		return err
	}
	w.metrics = ms
	w.log.Info("metrics and health", "url", "http://"+ms.Addr()+"/metrics", "healthz", "http://"+ms.Addr()+"/healthz")
	return nil
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
	if cfg.Model.Backend != config.BackendONNXRuntime {
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
		sc, err := evidence.S3ConfigFor(ev)
		if err != nil {
			return nil, nil, err
		}
		s, err := evidence.OpenS3(sc)
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

// delivery reports the publisher's and the health reporter's counters.
type delivery struct {
	pub *publisher.Publisher
	rep *health.Reporter
}

func (d delivery) Delivery() metrics.Delivery {
	st := d.pub.Stats()
	return metrics.Delivery{CasesPublished: st.Published, CaseRetries: st.Retries, CasesWithoutClip: st.Clipless,
		HealthSent: d.rep.Sent(), HealthRetries: d.rep.Retries(), HealthDropped: d.rep.Dropped()}
}
