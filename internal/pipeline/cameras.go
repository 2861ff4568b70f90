package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/patrol-city/patrol/internal/config"
)

// CaseState keeps every camera's open cases where another worker can
// continue them (a fleet's compacted topic, patrol.casestate.v1). The
// state of a camera is the JSON of its open cases.
type CaseState interface {
	// Load returns the newest state of camera (ok false: none known).
	Load(camera string) (data []byte, ok bool)
	// Store writes the state of camera; it blocks until stored or failed
	// (bounded by the implementation).
	Store(camera string, data []byte) error
}

// ErrUnknownCamera is returned by RemoveCamera for an id that does not run.
var ErrUnknownCamera = errors.New("pipeline: unknown camera")

// ErrCameraExists is returned by AddCamera for an id that already runs.
var ErrCameraExists = errors.New("pipeline: camera already runs")

// AddCamera builds a camera and, while Run runs, starts it (before Run,
// Run starts it). cc must have been validated against the configuration
// (config.Config.ValidateCameras); its open cases are loaded from
// Deps.CaseState when that knows the camera, else from data_dir.
func (p *Pipeline) AddCamera(cc config.Camera) error {
	if p.cameraByID(cc.ID) != nil {
		return fmt.Errorf("%w: %s", ErrCameraExists, cc.ID)
	}
	w, err := p.newCameraWorker(cc)
	if err != nil {
		return fmt.Errorf("pipeline: camera %s: %w", cc.ID, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.cameras) <= w.idx {
		p.cameras = append(p.cameras, nil)
	}
	p.cameras[w.idx] = w
	if p.runCtx != nil {
		w.start(p.runCtx)
	}
	return nil
}

// RemoveCamera stops a camera: its streams end, the picture in analysis
// (if any) is finished, and its open cases are saved (locally and to
// Deps.CaseState) before it returns. Cases in their post-roll are
// published as usual.
func (p *Pipeline) RemoveCamera(id string) error {
	p.mu.Lock()
	var w *cameraWorker
	for i, c := range p.cameras {
		if c != nil && c.cfg.ID == id {
			w = c
			p.cameras[i] = nil
			break
		}
	}
	p.mu.Unlock()
	if w == nil {
		return fmt.Errorf("%w: %s", ErrUnknownCamera, id)
	}
	w.stopStreams()
	w.wait()
	p.pool.remove(w.idx)
	w.rechecks.cancel()
	w.book.dirty, w.book.lifecycle = true, true
	if err := w.book.save(p.books, p.shared, time.Time{}); err != nil {
		return fmt.Errorf("pipeline: camera %s: open cases not saved: %w", id, err)
	}
	if p.shared != nil {
		p.shared.flush(id)
	}
	return nil
}

// CameraIDs returns the ids of the cameras, in the order they were added.
func (p *Pipeline) CameraIDs() []string {
	var ids []string
	for _, w := range p.list() {
		ids = append(ids, w.cfg.ID)
	}
	return ids
}

func (p *Pipeline) list() []*cameraWorker {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*cameraWorker, 0, len(p.cameras))
	for _, w := range p.cameras {
		if w != nil {
			out = append(out, w)
		}
	}
	return out
}

func (p *Pipeline) cameraAt(idx int) *cameraWorker {
	p.mu.Lock()
	defer p.mu.Unlock()
	if idx < 0 || idx >= len(p.cameras) {
		return nil
	}
	return p.cameras[idx]
}

func (p *Pipeline) cameraByID(id string) *cameraWorker {
	for _, w := range p.list() {
		if w.cfg.ID == id {
			return w
		}
	}
	return nil
}

// runner runs a camera's streams under their own context.
type runner struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// start runs the camera's streams until ctx ends or stopStreams.
func (w *cameraWorker) start(ctx context.Context) {
	w.run.mu.Lock()
	defer w.run.mu.Unlock()
	if w.run.cancel != nil {
		return
	}
	cctx, cancel := context.WithCancel(ctx)
	w.run.cancel = cancel
	for _, c := range w.streams() {
		w.run.wg.Go(func() {
			err := c.Run(cctx)
			if w.played == nil {
				return
			}
			if err != nil && cctx.Err() == nil {
				w.log.Error("recording not played to its end", "err", err)
			}
			// Every picture of the recording is in the pool: wait until
			// the last one is analysed.
			w.p.pool.idle(w.idx)
			close(w.played)
		})
	}
}

// Played returns a channel closed once camera id's recording (Deps.Sources)
// has ended and its last picture is analysed; nil for a live or unknown
// camera.
func (p *Pipeline) Played(id string) <-chan struct{} {
	if w := p.cameraByID(id); w != nil && w.played != nil {
		return w.played
	}
	return nil
}

func (w *cameraWorker) stopStreams() {
	w.run.mu.Lock()
	defer w.run.mu.Unlock()
	if w.run.cancel != nil {
		w.run.cancel()
	}
}

// wait returns when the camera's streams have ended.
func (w *cameraWorker) wait() { w.run.wg.Wait() }
