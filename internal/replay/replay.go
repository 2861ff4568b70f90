package replay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/ingest"
	"github.com/patrol-city/patrol/internal/pipeline"
	"github.com/patrol-city/patrol/internal/publisher"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/worker"
	"github.com/patrol-city/patrol/models/assets"
)

// DefaultStart is the replay clock's time of a recording's first picture
// when Config.Start is zero: fixed, so that case ids repeat run to run.
var DefaultStart = time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)

// Config configures a replay.
type Config struct {
	// Worker is the worker configuration, defaults applied and valid
	// (required). Its Kafka, cluster and metrics settings are unused.
	Worker *config.Config
	// Camera is the id of the configured camera whose zones and rules the
	// recording is played through (required).
	Camera string
	// Start is the time of the recording's first picture on the replay
	// clock, which rule schedules see (default DefaultStart).
	Start time.Time
	// Speed is the pace against real time (default 0: as fast as the CPU
	// allows; 1: real time).
	Speed float64
	// Out is the directory the evidence is written to (default "": a
	// temporary directory, removed at the end).
	Out string
}

// Deps are a replay's collaborators.
type Deps struct {
	// Logger defaults to a silent logger.
	Logger *slog.Logger
	// Fetcher resolves the model and runtime (default
	// assets.DefaultFetcher()).
	Fetcher *assets.Fetcher
	// Detectors, when set, are used instead of building the
	// configuration's (one is enough: a replay is one camera); ModelSHA
	// is then their model file's sha256, carried in the cases.
	Detectors []pipeline.ObjectDetector
	ModelSHA  string
	// OnProgress is called about twice a second while playing (optional).
	OnProgress func(Progress)
}

// Progress is where a replay stands.
type Progress struct {
	// Loop (from 1) and FileTime (PTS) of the last unit read.
	Loop     int
	FileTime time.Duration
	// Played is the replay clock's time since Start; Elapsed the wall time.
	Played, Elapsed time.Duration
	// Pictures analysed and case events published so far.
	Pictures uint64
	Events   int
}

// Result is what a replay found.
type Result struct {
	// Events are the case events (opened, updated, closed), in the order
	// of their event time, case id and seq.
	Events []Event
	// Start is the replay clock's time of the first picture; Played how
	// much of the recording was played (all loops), Elapsed the wall time.
	Start           time.Time
	Played, Elapsed time.Duration
	// Loops is how many loops were played.
	Loops int
	// Stats are the camera's counters at the end.
	Stats pipeline.CameraStats

	spans []span
}

// FileTime returns the loop (from 1) and the time in the recording of a
// time on the replay clock, such as a case's confirmed_at.
func (r *Result) FileTime(t time.Time) (loop int, at time.Duration) {
	return fileTime(r.spans, t.Sub(r.Start))
}

// Replay plays recordings through one camera's pipeline.
type Replay struct {
	cfg  Config
	deps Deps
	wcfg config.Config // the worker configuration narrowed to the camera
}

// New checks the configuration; nothing is loaded or started until Run.
func New(cfg Config, deps Deps) (*Replay, error) {
	if cfg.Worker == nil {
		return nil, errors.New("replay: worker configuration required")
	}
	if cfg.Speed < 0 {
		return nil, fmt.Errorf("replay: speed %v: must be 0 (as fast as possible) or positive", cfg.Speed)
	}
	if cfg.Start.IsZero() {
		cfg.Start = DefaultStart
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	w := *cfg.Worker
	var cam *config.Camera
	for i := range w.Cameras {
		if w.Cameras[i].ID == cfg.Camera {
			c := w.Cameras[i]
			cam = &c
		}
	}
	if cam == nil {
		return nil, fmt.Errorf("replay: camera %q is not in the configuration (%s)", cfg.Camera, cameraIDs(&w))
	}
	cam.DetectURL = "" // a recording is one stream
	w.Cameras = []config.Camera{*cam}
	w.Cluster.Enabled = false
	// The recording is read up to ingest.DefaultSourceLead ahead of the
	// decoder: the ring holds that much more, so that a confirmation clip
	// still finds its units there (older ones are in the history on disk,
	// under the replay's temporary data_dir, as for a live camera).
	w.Ingest.BufferDuration = max(w.Ingest.BufferDuration, w.Evidence.PreRoll+w.Evidence.PostRoll+ingest.DefaultSourceLead+30*time.Second)
	w.Ingest.BufferBytes = max(w.Ingest.BufferBytes, 128<<20)
	w.Model.Workers = 1 // one camera is analysed one picture at a time
	return &Replay{cfg: cfg, deps: deps, wcfg: w}, nil
}

func cameraIDs(c *config.Config) string {
	ids := ""
	for i, cc := range c.Cameras {
		if i > 0 {
			ids += ", "
		}
		ids += cc.ID
	}
	if ids == "" {
		return "it has no camera"
	}
	return "it has " + ids
}

// Run plays in through the camera and returns the cases it gave. ctx
// ending stops the replay with ctx's error.
func (r *Replay) Run(ctx context.Context, in Input) (*Result, error) {
	if in.Open == nil {
		return nil, errors.New("replay: input without Open")
	}
	began := time.Now()
	wcfg := r.wcfg
	tmp, err := os.MkdirTemp("", "patrol-replay-")
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	defer os.RemoveAll(tmp)
	wcfg.DataDir = tmp
	out := r.cfg.Out
	if out == "" {
		out = tmp
	}
	store, err := evidence.NewDir(out, "")
	if err != nil {
		return nil, fmt.Errorf("replay: evidence directory: %w", err)
	}
	dets, sha := r.deps.Detectors, r.deps.ModelSHA
	if len(dets) == 0 {
		d, s, closeDets, err := worker.Detectors(ctx, &wcfg, r.deps.Fetcher)
		if err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
		defer closeDets()
		dets, sha = d, s
	}
	look, err := worker.NewCloserLook(ctx, &wcfg, r.deps.Fetcher)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	defer look.Close()
	clock := clockwork.NewFakeClockAt(r.cfg.Start)
	col := &collector{}
	pub, err := publisher.New(publisher.Config{
		Worker: wcfg.Worker, PreRoll: wcfg.Evidence.PreRoll, PostRoll: wcfg.Evidence.PostRoll,
		Model: cases.Model{Name: wcfg.Model.Name, SHA256: sha}, DrainTimeout: time.Minute,
	}, publisher.Deps{Store: store, Cases: col, Logger: r.deps.Logger, Now: clock.Now, After: clock.After})
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	src := newSource(in, r.cfg.Start, r.cfg.Speed, clock)
	pipe, err := pipeline.New(&wcfg, pipeline.Deps{
		Detectors: dets, Publisher: pub, Logger: r.deps.Logger, Now: clock.Now,
		Plates: look.Plates, Faces: look.Faces,
		Sources: map[string]ingest.Source{r.cfg.Camera: src},
	})
	if err != nil {
		pub.Close()
		return nil, fmt.Errorf("replay: %w", err)
	}
	pubDone := make(chan struct{})
	go func() { defer close(pubDone); _ = pub.Run(context.Background()) }()
	pctx, stop := context.WithCancel(ctx)
	pipeDone := make(chan struct{})
	go func() { defer close(pipeDone); _ = pipe.Run(pctx) }()
	r.watch(ctx, pipe, src, col, began)
	stop()
	<-pipeDone
	// Every picture is analysed: let the clock run past the last
	// post-roll, then deliver what is in flight.
	clock.Advance(wcfg.Evidence.PostRoll + time.Hour)
	pub.Close()
	<-pubDone
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := col.failed(); err != nil {
		return nil, err
	}
	if ps := pub.Stats(); ps.Failed > 0 || ps.Outbox.Refused > 0 || ps.Outbox.Entries > 0 {
		return nil, fmt.Errorf("replay: %d case events not accepted, %d refused, %d not delivered (the log says why)",
			ps.Failed, ps.Outbox.Refused, ps.Outbox.Entries)
	}
	st := pipe.Stats()[r.cfg.Camera]
	if src.err != nil {
		return nil, src.err
	}
	return &Result{Events: col.sorted(), Start: r.cfg.Start, Played: src.offset,
		Elapsed: time.Since(began), Stats: st, Loops: len(src.spans), spans: src.spans}, nil
}

// watch waits for the recording to be played and analysed (or ctx to
// end), reporting progress.
func (r *Replay) watch(ctx context.Context, pipe *pipeline.Pipeline, src *source, col *collector, began time.Time) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	played := pipe.Played(r.cfg.Camera)
	for {
		select {
		case <-played:
			r.progress(pipe, src, col, began)
			return
		case <-ctx.Done():
			return
		case <-tick.C:
			r.progress(pipe, src, col, began)
		}
	}
}

func (r *Replay) progress(pipe *pipeline.Pipeline, src *source, col *collector, began time.Time) {
	if r.deps.OnProgress == nil {
		return
	}
	loop, ft := src.position()
	st := pipe.Stats()[r.cfg.Camera]
	r.deps.OnProgress(Progress{Loop: loop, FileTime: ft, Played: src.clock.Now().Sub(r.cfg.Start),
		Elapsed: time.Since(began), Pictures: st.Inferences + st.Gated, Events: col.count()})
}
