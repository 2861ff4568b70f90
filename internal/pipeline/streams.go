package pipeline

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/patrol-city/patrol/internal/ingest"
	"github.com/patrol-city/patrol/internal/media"
)

// Sub-stream ring bounds: only the decoder reads it (clips and snapshots
// come from the main stream).
const (
	subRingDuration = 10 * time.Second
	subRingBytes    = 4 << 20
)

// openStreams builds the camera's ingest: one decoded stream, or, with a
// detect_url, a main stream that is only buffered (clips, history,
// full-resolution snapshots) and a sub-stream whose pictures are analysed.
func (w *cameraWorker) openStreams() error {
	cc, in, p := w.cfg, w.p.cfg.Ingest, w.p
	tlsCfg, err := cameraTLS(cc)
	if err != nil {
		return err
	}
	base := ingest.Config{
		TLS:            tlsCfg,
		CameraID:       cc.ID,
		Transport:      string(cc.Transport),
		DetectInterval: w.interval,
		BackoffBase:    in.BackoffBase,
		BackoffMax:     in.BackoffMax,
		StallTimeout:   p.cfg.Monitoring.StallTimeout,
		OfflineAfter:   p.cfg.Monitoring.OfflineAfter,
		AnalysisSize:   w.view.analysisSize(analysisSize),
	}
	main := base
	main.URL = cc.URL
	main.BufferDuration, main.BufferBytes = in.BufferDuration, in.BufferBytes
	main.HistoryRoot, main.HistoryDuration, main.HistoryBytes = historyRoot(p.cfg), in.HistoryDuration, in.HistoryBytes
	deps := ingest.Deps{
		Logger: p.log, NewDecoder: p.deps.NewDecoder, OnFrame: w.offer,
		OnState: w.onState, OnDecoder: w.onDecoder, Now: p.deps.Now,
		Source: p.deps.Sources[cc.ID],
	}
	if deps.Source != nil && cc.DetectURL != "" {
		return fmt.Errorf("a recorded camera plays one stream: detect_url is not supported in replay")
	}
	if cc.DetectURL != "" {
		main.DecodeMode = "none"
		mainDeps := deps
		mainDeps.OnFrame, mainDeps.OnDecoder = nil, nil
		if w.cam, err = ingest.New(main, mainDeps); err != nil {
			return err
		}
		sub := base
		sub.URL = cc.DetectURL
		sub.BufferDuration, sub.BufferBytes = subRingDuration, subRingBytes
		subDeps := deps
		subDeps.Logger = p.log.With("stream", "detect")
		subDeps.OnState = w.onDetState
		w.det, err = ingest.New(sub, subDeps)
		return err
	}
	w.cam, err = ingest.New(main, deps)
	return err
}

// streams returns every ingest camera of the worker's camera.
func (w *cameraWorker) streams() []*ingest.Camera {
	if w.det != nil {
		return []*ingest.Camera{w.cam, w.det}
	}
	return []*ingest.Camera{w.cam}
}

// aspectCheck compares, once per picture size, the analysed sub-stream's
// aspect ratio with the main stream's (boxes map between the two by their
// sizes, which holds only for the same field of view).
type aspectCheck struct {
	w, h     int // the sub-stream picture size last checked
	mu       sync.Mutex
	mismatch string // non-empty while the ratios disagree
}

// aspectMismatch returns the current disagreement ("" when none).
func (w *cameraWorker) aspectMismatch() string {
	w.aspect.mu.Lock()
	defer w.aspect.mu.Unlock()
	return w.aspect.mismatch
}

func (w *cameraWorker) setMismatch(m string) {
	w.aspect.mu.Lock()
	w.aspect.mismatch = m
	w.aspect.mu.Unlock()
}

// checkAspect logs (once per size) when the sub-stream's picture and the
// main stream's disagree in aspect ratio by more than 2 %.
func (w *cameraWorker) checkAspect(f media.Frame) {
	if w.det == nil || (f.Width == w.aspect.w && f.Height == w.aspect.h) {
		return
	}
	mw, mh, ok := w.cam.PictureSize()
	if !ok {
		return // the main stream has not sent its parameter sets yet
	}
	w.aspect.w, w.aspect.h = f.Width, f.Height
	sub, mainR := float64(f.Width)/float64(f.Height), float64(mw)/float64(mh)
	if math.Abs(sub/mainR-1) > 0.02 {
		m := fmt.Sprintf("detect_url pictures (%dx%d after scaling) and url's %dx%d differ in aspect ratio: boxes would not map; use a sub-stream of the same shape", f.Width, f.Height, mw, mh)
		w.setMismatch(m)
		w.log.Error("camera streams disagree", "reason", m)
		return
	}
	w.setMismatch("")
	w.log.Info("camera streams agree", "main", fmt.Sprintf("%dx%d", mw, mh), "detect", fmt.Sprintf("%dx%d", f.Width, f.Height))
}
