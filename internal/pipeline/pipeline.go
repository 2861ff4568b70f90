// Package pipeline wires patrol's stages for one worker: every configured
// camera is pulled by ingest, its sampled pictures go through the shared
// detector, a tracker and the zone rules, and fired rules go to the
// publisher with the camera's compressed history for their evidence.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/detect"
	"github.com/patrol-city/patrol/internal/ingest"
	"github.com/patrol-city/patrol/internal/ingest/av"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher"
	"github.com/patrol-city/patrol/internal/publisher/health"
)

// Deps are the pipeline's collaborators.
type Deps struct {
	// Detector is shared by every camera (required unless Detectors is
	// set); calls are serialized.
	Detector ObjectDetector
	// Detectors, when set, replaces Detector: one pool worker per
	// detector, running in parallel (each detector is used by one
	// goroutine at a time; a camera is analysed by one worker at a time).
	Detectors []ObjectDetector
	// Publisher receives fired rules (required).
	Publisher Submitter
	// Logger receives the log; nil is silent.
	Logger *slog.Logger
	// NewDecoder defaults to the libavcodec decoder.
	NewDecoder func(media.Codec) (ingest.Decoder, error)
	// Now defaults to time.Now.
	Now func() time.Time
	// Health receives camera health events (optional).
	Health HealthSink
	// Suppressions stops cases a dispatcher asked not to see again
	// (optional).
	Suppressions Suppressor
	// CaseState keeps the open cases of every camera beyond this worker
	// (a fleet); nil: data_dir only.
	CaseState CaseState
	// WriteFile writes a case book atomically (default: temporary file,
	// fsync, rename); tests inject a slow disk.
	WriteFile func(path string, data []byte) error
	// Sources, by camera id, replace those cameras' RTSP streams with
	// recorded ones (patrol replay): nothing is dropped on the way to the
	// detector (the source waits instead), and Played tells when the
	// last picture is analysed. Time then comes from the recording:
	// frames carry its clock, and Now should be that clock too. Default
	// nil: every camera is live.
	Sources map[string]ingest.Source
	// Plates reads the plates of parking cases and finds the other
	// vehicles' plates for the redacted copies (optional: nil reads none).
	Plates PlateReader
	// Faces finds the faces blurred in the redacted copies (optional).
	Faces FaceFinder
}

// HealthSink takes health events; *health.Reporter implements it.
type HealthSink interface {
	Report(ev health.Event)
}

// ObjectDetector finds objects in a BGR picture; *model.Detector implements it.
type ObjectDetector interface {
	DetectImage(img *media.Image) ([]detect.Detection, error)
}

// Suppressor tells whether a new case is suppressed: an object of label
// with box b ([x, y, w, h] normalized) in zone of camera at time at; it
// returns the suppression's id.
type Suppressor interface {
	Suppressed(camera, zone, label string, b [4]float64, at time.Time) (id string, ok bool)
}

// Submitter takes fired rules; *publisher.Publisher implements it.
type Submitter interface {
	Submit(c publisher.Candidate)
}

// Pipeline runs every camera of a configuration.
type Pipeline struct {
	cfg   *config.Config
	deps  Deps
	log   *slog.Logger
	pool  *pool
	loc   *time.Location
	books *bookStore // case books, written off the detector goroutine
	// shared writes case books to Deps.CaseState (nil without one).
	shared *bookStore

	mu sync.Mutex
	// cameras by pool index; nil: a removed camera's free index.
	cameras []*cameraWorker
	runCtx  context.Context // set while Run runs; cameras start under it
}

// New validates the configuration and builds every camera's stages. Nothing
// runs until Run.
func New(cfg *config.Config, deps Deps) (*Pipeline, error) {
	if len(deps.Detectors) == 0 && deps.Detector != nil {
		deps.Detectors = []ObjectDetector{deps.Detector}
	}
	if len(deps.Detectors) == 0 || slices.Contains(deps.Detectors, nil) || deps.Publisher == nil {
		return nil, errors.New("pipeline: detector and publisher required")
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.NewDecoder == nil {
		deps.NewDecoder = func(c media.Codec) (ingest.Decoder, error) { return av.NewDecoder(c) }
	}
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return nil, fmt.Errorf("pipeline: timezone: %w", err)
	}
	p := &Pipeline{cfg: cfg, deps: deps, log: deps.Logger, loc: loc, books: newBookStore(deps.WriteFile, deps.Logger)}
	if deps.CaseState != nil {
		p.shared = newBookStore(func(camera string, data []byte) error { return deps.CaseState.Store(camera, data) }, deps.Logger)
	}
	p.pool = newPool(nil, cfg.Ingest.MaxInferInterval, func(worker, cam int, f media.Frame) {
		if w := p.cameraAt(cam); w != nil {
			w.process(f, p.deps.Detectors[worker])
		}
	})
	p.pool.now = deps.Now
	for i, cc := range cfg.Cameras {
		w, err := p.newCameraWorker(cc)
		if err != nil {
			return nil, fmt.Errorf("pipeline: cameras[%d] (%s): %w", i, cc.ID, err)
		}
		p.cameras = append(p.cameras, w)
	}
	return p, nil
}

// Run pulls and analyses every camera until ctx ends. A camera that fails
// never stops the others: each one reconnects on its own.
func (p *Pipeline) Run(ctx context.Context) error {
	var det, workers sync.WaitGroup
	det.Add(2)
	go func() {
		defer det.Done()
		p.books.run()
	}()
	if p.shared != nil {
		det.Add(1)
		go func() { defer det.Done(); p.shared.run() }()
	}
	for i := range p.deps.Detectors {
		workers.Go(func() { p.pool.run(i) })
	}
	go func() {
		defer det.Done()
		workers.Wait()
		// After the last analysed picture: write the rest.
		p.books.close()
		if p.shared != nil {
			p.shared.close()
		}
	}()
	p.mu.Lock()
	p.runCtx = ctx
	for _, w := range p.cameras {
		w.start(ctx)
	}
	p.mu.Unlock()
	<-ctx.Done()
	p.mu.Lock()
	p.runCtx = nil
	running := slices.Clone(p.cameras)
	p.mu.Unlock()
	for _, w := range running {
		if w != nil {
			w.wait()
		}
	}
	p.pool.close()
	det.Wait()
	return ctx.Err()
}

// Camera returns the ingest camera (its main stream) with the given id, or
// nil.
func (p *Pipeline) Camera(id string) *ingest.Camera {
	if w := p.cameraByID(id); w != nil {
		return w.cam
	}
	return nil
}

// CameraStats are the counters of one camera's analysis.
type CameraStats struct {
	// Ingest is the camera's stream; with a sub-stream, the main
	// stream's counters with the decoding counters (decoded, sent, decode
	// errors, dropped, decoder state) of the analysed sub-stream.
	Ingest ingest.Stats
	// Detect is the sub-stream's own counters (nil: one stream), and
	// DetectState its connection state.
	Detect      *ingest.Stats
	DetectState string
	// StreamMismatch explains why the sub-stream's and the main stream's
	// aspect ratios disagree (empty when they agree or are not compared).
	StreamMismatch string
	Inferences     uint64
	// Gated counts frames the motion gate kept from the detector.
	Gated   uint64
	Skipped uint64
	// Replaced counts pictures replaced by a newer one while waiting for
	// the detector (the detector fell behind); part of Skipped.
	Replaced uint64
	Fired    uint64
	// Suppressed counts cases not opened because a suppression covered
	// them.
	Suppressed uint64
	// SecondLookDropped counts rule events not opened as cases because
	// the second look did not find the rule's class at full resolution.
	SecondLookDropped uint64
	// Warnings counts, per rule id, the warnings of rules with a
	// correction window (nil when none warned).
	Warnings map[string]WarningCounts
	// Looked counts rule events looked at closer before a case opens;
	// SecondLookTime, PlateTime and RedactTime are what the second look,
	// the plate reads and the redacted copy took for them in all.
	Looked                                uint64
	SecondLookTime, PlateTime, RedactTime time.Duration
	// DetectWait is the total time pictures waited for the shared detector.
	DetectWait time.Duration
	// Interval is the camera's sampling interval (config.SampleInterval).
	Interval time.Duration
	// LatencyP50 and LatencyP95 are percentiles of the last 512 pictures'
	// time from receipt to the end of rule evaluation.
	LatencyP50, LatencyP95 time.Duration
	// State is the connection state; Picture the picture state (ok, frozen,
	// covered).
	State, Reason, Picture string
	// Zones are the ids of the camera's zones in force.
	Zones []string
}

// Stats returns the counters of every camera, by id.
func (p *Pipeline) Stats() map[string]CameraStats {
	out := map[string]CameraStats{}
	for _, w := range p.list() {
		st, reason := w.cam.State()
		replaced, tooSoon := p.pool.dropped(w.idx)
		wait, _ := p.pool.wait(w.idx)
		p50, p95 := w.latency.percentiles()
		in := w.cam.Stats()
		var det *ingest.Stats
		detState := ""
		if w.det != nil {
			d := w.det.Stats()
			det = &d
			in.FramesDecoded, in.FramesSent, in.DecodeErrors, in.Dropped = d.FramesDecoded, d.FramesSent, d.DecodeErrors, d.Dropped
			in.DecoderStuck, in.Decoder = d.DecoderStuck, d.Decoder
			s, _ := w.det.State()
			detState = string(s)
		}
		out[w.cfg.ID] = CameraStats{
			Detect:            det,
			DetectState:       detState,
			StreamMismatch:    w.aspectMismatch(),
			Interval:          w.interval,
			LatencyP50:        p50,
			LatencyP95:        p95,
			Ingest:            in,
			Inferences:        w.inferences.Load(),
			Gated:             w.gated.Load(),
			Skipped:           replaced + tooSoon,
			Replaced:          replaced,
			DetectWait:        wait,
			Fired:             w.fired.Load(),
			Suppressed:        w.suppressed.Load(),
			SecondLookDropped: w.secondLookDropped.Load(),
			Warnings:          w.warnings.snapshot(),
			Looked:            uint64(w.looks.events.Load()),
			SecondLookTime:    time.Duration(w.looks.secondLook.Load()),
			PlateTime:         time.Duration(w.looks.plate.Load()),
			RedactTime:        time.Duration(w.looks.redact.Load()),
			State:             string(st),
			Reason:            reason,
			Picture:           w.pictureState(),
			Zones:             w.zoneIDs(),
		}
	}
	return out
}

func (w *cameraWorker) zoneIDs() []string {
	ids := make([]string, len(w.cfg.Zones))
	for i, z := range w.cfg.Zones {
		ids[i] = z.ID
	}
	return ids
}

// Backlog returns how many cameras have a picture waiting for the shared
// detector (0 when the detector keeps up).
func (p *Pipeline) Backlog() int { return p.pool.backlog() }

// thresholds drops detections below their class's score threshold (the
// detector runs at the lowest threshold of all classes).
func (p *Pipeline) thresholds(dets []detect.Detection) []detect.Detection {
	m := p.cfg.Model
	if len(m.ClassThresholds) == 0 {
		return dets
	}
	out := dets[:0:0]
	for _, d := range dets {
		thr, ok := m.ClassThresholds[d.Label]
		if !ok {
			thr = m.ScoreThreshold
		}
		if float64(d.Score) >= thr {
			out = append(out, d)
		}
	}
	return out
}

// caseCamera returns the case's camera identity.
func caseCamera(c config.Camera) cases.Camera {
	return cases.Camera{ID: c.ID, Name: c.Name, Address: c.Address, Grid: c.Grid, Latitude: c.Latitude, Longitude: c.Longitude}
}
