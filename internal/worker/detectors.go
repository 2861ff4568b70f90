package worker

import (
	"context"
	"fmt"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/detect/model"
	"github.com/patrol-city/patrol/internal/pipeline"
	"github.com/patrol-city/patrol/models/assets"
)

// Detectors builds the configuration's detectors: model.workers of them,
// each running the configured model (model.path, else pulled through
// fetcher, default assets.DefaultFetcher()) on the configured backend at
// the lowest score threshold of all classes. It returns them with the
// model file's sha256 and a function that closes them.
func Detectors(ctx context.Context, cfg *config.Config, fetcher *assets.Fetcher) (_ []pipeline.ObjectDetector, sha string, closeAll func(), err error) {
	modelPath, sha, classes, err := resolveModel(ctx, cfg, fetcher)
	if err != nil {
		return nil, "", nil, err
	}
	lowest := cfg.Model.ScoreThreshold
	for _, v := range cfg.Model.ClassThresholds {
		lowest = min(lowest, v)
	}
	lib, err := resolveRuntime(ctx, cfg, fetcher)
	if err != nil {
		return nil, "", nil, err
	}
	var dets []pipeline.ObjectDetector
	var closers []func() error
	closeAll = func() {
		for _, c := range closers {
			_ = c()
		}
	}
	for range cfg.Model.Workers {
		det, err := model.NewDetector(model.Config{
			ModelPath: modelPath, ScoreThreshold: float32(lowest), Classes: classes,
			Backend: string(cfg.Model.Backend), RuntimeLibrary: lib, Threads: cfg.Model.Threads,
		})
		if err != nil {
			closeAll()
			return nil, "", nil, fmt.Errorf("model: %w", err)
		}
		closers = append(closers, det.Close)
		dets = append(dets, pipeline.MatDetector{D: det})
	}
	return dets, sha, closeAll, nil
}
