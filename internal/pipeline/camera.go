package pipeline

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/detect"
	"github.com/patrol-city/patrol/internal/detect/motion"
	"github.com/patrol-city/patrol/internal/detect/static"
	"github.com/patrol-city/patrol/internal/ingest"
	"github.com/patrol-city/patrol/internal/ingest/picture"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher/health"
)

// cameraWorker owns one camera's ingest, tracker and rules.
type cameraWorker struct {
	p   *Pipeline
	cfg config.Camera
	log *slog.Logger
	cam *ingest.Camera // the main stream (url): ring, history, clips
	// det is the sub-stream (detect_url) whose pictures are analysed; nil
	// when the camera has one stream (cam is then decoded).
	det     *ingest.Camera
	idx     int // index in the pipeline's cameras and pool slots
	tracker *detect.Tracker
	zones   []zoneRules

	inferences, fired, suppressed atomic.Uint64
	// secondLookDropped counts events the second look did not confirm.
	secondLookDropped atomic.Uint64
	// warnings counts the warnings of rules with a correction window.
	warnings warningStats
	// looks times the closer looks at cases (closerLook).
	looks lookTimes

	picture   *picture.Monitor // used by the analyse goroutine only
	picMu     sync.Mutex
	picProbs  map[picture.Problem]bool
	lastState ingest.State // used by the main stream's Run goroutine only
	// lastDetState is the sub-stream's (its Run goroutine only).
	lastDetState ingest.State
	aspect       aspectCheck // analysing goroutine only
	// lastDecoder is the last decoder state reported (decode goroutine).
	lastDecoder atomic.Value
	book        *caseBook      // open cases; used by the analysing goroutine only
	held        []heldEvent    // parking events held for a vending case (stall.go)
	gate        *motion.Gate   // nil when motion gating is off
	statics     *static.Finder // nil when no rule needs static objects
	gated       atomic.Uint64  // inferences skipped by the motion gate
	latency     latencyWindow  // frame receipt to rule evaluation
	interval    time.Duration  // sampling interval (config.SampleInterval)
	run         runner         // the streams' goroutines
	current     pictureCache   // Picture's last answer
	// view is the part of the frame analysed (model.zone_crop).
	view view
	// played is closed once a recorded camera's source has ended and its
	// last picture is analysed (nil for a live camera).
	played chan struct{}
	// rechecks wait for the next analysed picture (Pipeline.Recheck);
	// closed are the cases closed lately (analysing goroutine only).
	rechecks recheckQueue
	closed   []closedCase
}

// report sends a health event when a sink is configured; stream names the
// stream of a camera with a sub-stream ("" otherwise).
func (w *cameraWorker) report(kind, state, previous, reason string, at time.Time) {
	w.reportStream("", kind, state, previous, reason, at)
}

func (w *cameraWorker) reportStream(stream, kind, state, previous, reason string, at time.Time) {
	if w.p.deps.Health == nil {
		return
	}
	ev := health.NewEvent(w.p.cfg.Worker, w.cfg.ID, w.cfg.Name, kind, state, previous, reason, at)
	if stream != "" {
		ev = ev.WithStream(stream)
	}
	w.p.deps.Health.Report(ev)
}

// onState turns the main stream's state changes into health events.
func (w *cameraWorker) onState(s ingest.State, reason string) {
	prev := w.lastState
	w.lastState = s
	stream := ""
	if w.cfg.DetectURL != "" {
		stream = health.StreamMain
	}
	w.reportStream(stream, health.KindState, string(s), string(prev), reason, w.p.deps.Now())
}

// onDetState turns the sub-stream's state changes into health events.
func (w *cameraWorker) onDetState(s ingest.State, reason string) {
	prev := w.lastDetState
	w.lastDetState = s
	w.reportStream(health.StreamDetect, health.KindState, string(s), string(prev), reason, w.p.deps.Now())
}

// onDecoder turns decoder health changes into health events.
func (w *cameraWorker) onDecoder(s ingest.DecoderState, reason string) {
	prev, _ := w.lastDecoder.Swap(string(s)).(string)
	if prev == "" {
		prev = health.DecoderOK
	}
	w.report(health.KindDecoder, string(s), prev, reason, w.p.deps.Now())
}

func (w *cameraWorker) pictureState() string {
	w.picMu.Lock()
	defer w.picMu.Unlock()
	switch {
	case w.picProbs[picture.Covered]:
		return health.PictureCovered
	case w.picProbs[picture.Frozen]:
		return health.PictureFrozen
	}
	return health.PictureOK
}

// checkPicture feeds the picture monitor and reports its changes.
func (w *cameraWorker) checkPicture(f media.Frame) {
	changes, err := w.picture.Update(&f.Image, f.Recv)
	if err != nil {
		return
	}
	for _, c := range changes {
		w.picMu.Lock()
		w.picProbs[c.Problem] = c.Active
		w.picMu.Unlock()
		state, prev := string(c.Problem), health.PictureOK
		if !c.Active {
			state, prev = health.PictureOK, string(c.Problem)
		}
		w.log.Warn("picture health", "state", state, "reason", c.Reason)
		w.report(health.KindPicture, state, prev, c.Reason, c.At)
	}
}

type zoneRules struct {
	zone  detect.Zone
	poly  [][2]float64
	rules []ruleRunner
}

type ruleRunner struct {
	cfg    config.Rule
	impl   zoneRule
	labels map[string]bool // the track labels the rule fires on (ruleLabels)
}

func (p *Pipeline) newCameraWorker(cc config.Camera) (*cameraWorker, error) {
	w := &cameraWorker{
		p:       p,
		cfg:     cc,
		log:     p.log.With("camera", cc.ID),
		tracker: detect.NewTracker(detect.TrackerConfig{}),
		picture: picture.New(picture.Config{
			FrozenAfter: p.cfg.Monitoring.FrozenAfter, CoveredAfter: p.cfg.Monitoring.CoveredAfter,
		}),
		picProbs: map[picture.Problem]bool{},
		interval: p.cfg.SampleInterval(cc),
	}
	if p.cfg.Model.ZoneCropOn() {
		w.view = zoneView(cc.Zones)
	}
	if err := w.openStreams(); err != nil {
		return nil, err
	}
	var err error
	if w.book, err = loadCaseBook(p.cfg.DataDir, cc.ID, p.deps.CaseState, p.deps.Now()); err != nil {
		return nil, err
	}
	if w.book.unreadable != nil {
		w.log.Error("stored open cases unreadable: the camera starts without them", "err", w.book.unreadable)
	}
	w.book.shareEvery = p.cfg.Cases.CloseAfter / 4
	for _, zc := range cc.Zones {
		z := detect.Zone{ID: zc.ID}
		var poly [][2]float64
		for _, pt := range zc.Polygon {
			in := w.view.into(pt)
			z.Polygon = append(z.Polygon, detect.Point{X: in[0], Y: in[1]})
			poly = append(poly, [2]float64{pt[0], pt[1]})
		}
		zr := zoneRules{zone: z, poly: poly}
		for _, rid := range zc.Rules {
			rc, ok := p.cfg.RuleByID(rid)
			if !ok {
				return nil, fmt.Errorf("zone %s: unknown rule %q", zc.ID, rid)
			}
			rc.Masks = w.view.polygons(rc.Masks) // new slices: rc shares the configuration's
			st, err := buildRule(rc, z, p.loc)
			if err != nil {
				return nil, fmt.Errorf("zone %s rule %s: %w", zc.ID, rid, err)
			}
			zr.rules = append(zr.rules, ruleRunner{cfg: rc, impl: st, labels: ruleLabels(rc)})
		}
		w.zones = append(w.zones, zr)
	}
	if w.statics, err = staticFinder(w.zones); err != nil {
		return nil, err
	}
	if p.cfg.Ingest.MotionGateOn() {
		zones := make([]detect.Zone, len(w.zones))
		for i, zr := range w.zones {
			zones[i] = zr.zone
		}
		if w.gate, err = motion.New(motion.Config{MaxInterval: p.cfg.Ingest.MaxInferInterval}, zones); err != nil {
			return nil, err
		}
	}
	if p.deps.Sources[cc.ID] != nil {
		w.played = make(chan struct{})
	}
	w.idx = p.pool.add(w.interval, w.played != nil)
	return w, nil
}

// offer hands a decoded picture to the shared detector pool. It is called
// from the camera's decode goroutine and never blocks.
func (w *cameraWorker) offer(f media.Frame) {
	w.checkAspect(f)
	w.p.pool.offer(w.idx, w.view.frame(f))
}

// process analyses one picture with det (the pool worker's detector).
func (w *cameraWorker) process(f media.Frame, det ObjectDetector) {
	w.checkPicture(f)
	var tracks []*detect.Track
	if w.skipInference(f) {
		w.gated.Add(1)
		tracks = w.tracker.Hold(f.Recv)
	} else {
		dets, err := det.DetectImage(&f.Image)
		if err != nil {
			w.log.Warn("detection failed", "err", err)
			return
		}
		w.inferences.Add(1)
		w.tracker.Update(dropNested(w.p.thresholds(dets), 0.8), f.Recv)
		tracks = w.tracker.See(&f.Image, f.Recv)
	}
	if w.statics != nil {
		tracks = append(tracks, w.statics.Update(&f.Image, tracks, f.Recv)...)
	}
	inView := seenNow(tracks, f.Recv)
	for _, zr := range w.zones {
		for _, rr := range zr.rules {
			for _, ev := range rr.impl.Update(tracks, f.Width, f.Height, f.Recv) {
				if c := w.book.find(ev, inView); c != nil {
					// The case is already open (a restart, or the rule
					// firing again for the same object): continue it.
					c.continueWith(ev.TrackID)
					w.book.dirty = true
					continue
				}
				w.submitOrHold(f, zr, rr, ev, det)
			}
		}
	}
	w.releaseHeld(f, inView, det)
	w.advanceCases(f, tracks, inView)
	w.answerRechecks(f, det)
	w.p.pool.setUrgent(w.idx, len(w.book.open) > 0 || w.objectInZone(tracks, f.Width, f.Height))
	w.latency.add(w.p.deps.Now().Sub(f.Recv))
}

// objectInZone reports whether a tracked object stands in one of the
// camera's zones (a candidate whose dwell is being timed).
func (w *cameraWorker) objectInZone(tracks []*detect.Track, width, height int) bool {
	for _, t := range tracks {
		a := detect.Anchor(t.Box, width, height)
		for _, zr := range w.zones {
			if zr.zone.Contains(a) {
				return true
			}
		}
	}
	return false
}

// cameraTLS builds the TLS configuration of an rtsps:// camera.
func cameraTLS(cc config.Camera) (*tls.Config, error) {
	if cc.TLSCAFile == "" && !cc.TLSInsecureSkipVerify {
		return nil, nil
	}
	c := &tls.Config{InsecureSkipVerify: cc.TLSInsecureSkipVerify} //nolint:gosec // operator's explicit choice
	if cc.TLSCAFile != "" {
		pem, err := os.ReadFile(cc.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls_ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls_ca_file %s: no PEM certificate", cc.TLSCAFile)
		}
		c.RootCAs = pool
	}
	return c, nil
}

// skipInference asks the motion gate whether the picture changed in the
// zones since the last inference (always false without a gate).
func (w *cameraWorker) skipInference(f media.Frame) bool {
	if w.gate == nil {
		return false
	}
	changed, err := w.gate.Changed(f.BGR, f.Width, f.Height)
	if err != nil {
		return false
	}
	return !w.gate.ShouldInfer(changed, f.Recv)
}

// historyRoot is the directory holding one history directory per camera
// ("" when disabled).
func historyRoot(cfg *config.Config) string {
	if cfg.Ingest.HistoryDuration < 0 {
		return ""
	}
	return filepath.Join(cfg.DataDir, "history")
}
