package bench

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/testkit/eval"
	"github.com/patrol-city/patrol/internal/worker"
)

// pipelineWithTruth runs the load cameras of wcfg together with the
// evaluation scenes in one worker (eval.Run with extra cameras): the
// scenes start with the worker, the window opens once every camera reached
// detection and lasts until the scenes end. The load cameras keep their
// rule (renamed load-parking, at its defaults); the worker takes the
// evaluation's configuration otherwise (pre-roll 3 s, post-roll 2 s).
func pipelineWithTruth(ctx context.Context, cfg *PipelineConfig, wcfg *config.Config) (*PipelineResult, error) {
	if cfg.AssetDir == "" {
		return nil, errors.New("bench: truth cameras need PipelineConfig.AssetDir")
	}
	rule := wcfg.Rules[0]
	rule.ID = "load-parking"
	measured := map[string]bool{}
	var load []config.Camera
	for _, c := range wcfg.Cameras {
		c.Zones[0].Rules = []string{rule.ID}
		load = append(load, c)
		measured[c.ID] = true
	}
	var (
		mu   sync.Mutex
		win  *window
		werr error
		base int64
		wg   sync.WaitGroup
	)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	onWorker := func(w *worker.Worker) {
		base, _ = rssBytes()
		wg.Go(func() {
			m, err := startWindow(wctx, cfg, w.Pipeline(), len(load))
			mu.Lock()
			win, werr = m, err
			mu.Unlock()
			if err != nil {
				return
			}
			// Sample until the scenes end: the last sample closes the window.
			for sleep(wctx, 500*time.Millisecond) == nil {
				mu.Lock()
				m.sample()
				mu.Unlock()
			}
		})
	}
	// The composited scenes of at most a minute: the ten-minute rush hour
	// would set the benchmark's length.
	names, err := eval.SceneNames(eval.SuiteComposited, time.Minute)
	if err != nil {
		return nil, err
	}
	rep, err := eval.Run(ctx, eval.Config{AssetDir: cfg.AssetDir, Fetcher: cfg.Fetcher, Logger: cfg.WorkerLogger, Scenes: names,
		ExtraCameras: load, ExtraRules: []config.Rule{rule}, OnWorker: onWorker, Live: true,
		Configure: func(c *config.Config) { c.Model.Workers = wcfg.Model.Workers }})
	cancel()
	wg.Wait()
	if err != nil {
		return nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	if werr != nil {
		return nil, werr
	}
	if win == nil || win.s1 == nil {
		return nil, errors.New("bench: the scenes ended before the load cameras reached detection and warmed up")
	}
	win.measuredCams = measured
	r := win.result(cfg, wcfg, base)
	r.Truth = rep
	return r, nil
}
