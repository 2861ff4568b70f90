package worker

import (
	"context"
	"fmt"
	"image"
	"sync"

	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/detect/face"
	"github.com/patrol-city/patrol/internal/detect/plate"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/pipeline"
	"github.com/patrol-city/patrol/models"
	"github.com/patrol-city/patrol/models/assets"
)

// CloserLook holds the models of a case's closer look: the plate reader
// (when a rule reads plates) and the face detector (when evidence.redact
// is on). Either may be nil.
type CloserLook struct {
	Plates pipeline.PlateReader
	Faces  pipeline.FaceFinder
	close  []func()
}

// Close frees the models.
func (c *CloserLook) Close() {
	for _, f := range c.close {
		f()
	}
	c.close = nil
}

// NewCloserLook pulls and loads what the configuration needs (PP-OCRv6
// text detection and recognition, YuNet; each through ONNX Runtime and
// fetcher, default assets.DefaultFetcher()).
func NewCloserLook(ctx context.Context, cfg *config.Config, fetcher *assets.Fetcher) (*CloserLook, error) {
	plates := false
	for _, r := range cfg.Rules {
		plates = plates || r.PlatesOn()
	}
	faces := cfg.Evidence.Redact != nil && *cfg.Evidence.Redact
	out := &CloserLook{}
	if !plates && !faces {
		return out, nil
	}
	if fetcher == nil {
		fetcher = assets.DefaultFetcher()
	}
	lib := cfg.Model.RuntimeLibrary
	if lib == "" {
		p, _, err := models.PullRuntime(ctx, fetcher, models.ONNXRuntime)
		if err != nil {
			return nil, fmt.Errorf("plates and redaction need ONNX Runtime: %w", err)
		}
		lib = p
	}
	// The plate reader also finds the other vehicles' plates to blur.
	r, err := plate.Pull(ctx, fetcher, lib)
	if err != nil {
		return nil, err
	}
	out.Plates, out.close = r, append(out.close, r.Close)
	if faces {
		p, _, err := models.Pull(ctx, fetcher, models.YuNet)
		if err != nil {
			out.Close()
			return nil, err
		}
		d, err := face.New(face.Config{ModelPath: p, RuntimeLibrary: lib})
		if err != nil {
			out.Close()
			return nil, err
		}
		out.Faces, out.close = &faceFinder{d: d}, append(out.close, d.Close)
	}
	return out, nil
}

// faceFinder serialises a face detector for the pipeline's goroutines.
type faceFinder struct {
	mu sync.Mutex
	d  *face.Detector
}

// Faces returns the boxes of the faces in img.
func (f *faceFinder) Faces(img *media.Image) ([]image.Rectangle, error) {
	if img == nil || img.Width < 16 || img.Height < 16 || len(img.BGR) != img.Width*img.Height*3 {
		return nil, fmt.Errorf("faces: not a packed BGR picture of at least 16x16")
	}
	m, err := gocv.NewMatFromBytes(img.Height, img.Width, gocv.MatTypeCV8UC3, img.BGR)
	if err != nil {
		return nil, fmt.Errorf("faces: %w", err)
	}
	defer m.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	found, err := f.d.Detect(m)
	if err != nil {
		return nil, err
	}
	out := make([]image.Rectangle, len(found))
	for i, x := range found {
		out[i] = x.Box
	}
	return out, nil
}
