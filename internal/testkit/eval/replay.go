package eval

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/pipeline"
	"github.com/patrol-city/patrol/internal/replay"
	"github.com/patrol-city/patrol/internal/worker"
	"github.com/patrol-city/patrol/models/assets"
)

// runReplay replays each scene's stream (the same encoded units the
// simulator would serve) through its camera's pipeline on the scene's own
// clock, cfg.Parallel scenes at a time, each with a detector of its own.
func runReplay(ctx context.Context, cfg Config, plans []plan, rules []config.Rule) (*Report, error) {
	tmp, err := os.MkdirTemp("", "patrol-eval-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	wcfg, err := workerConfig(cfg, plans, rules, tmp, func(n string) string { return "rtsp://replay.invalid/" + n })
	if err != nil {
		return nil, err
	}
	fetcher := cfg.Fetcher
	if fetcher == nil {
		fetcher = assets.DefaultFetcher()
	}
	par := min(cfg.Parallel, len(plans))
	dcfg := *wcfg
	dcfg.Model.Workers = par
	dets, sha, closeDets, err := worker.Detectors(ctx, &dcfg, fetcher)
	if err != nil {
		return nil, err
	}
	defer closeDets()

	var (
		mu      sync.Mutex
		all     []received
		firstEr error
		next    atomic.Int64
		wg      sync.WaitGroup
	)
	starts := map[string]time.Time{}
	stats := map[string]pipeline.CameraStats{}
	for i := range par {
		wg.Go(func() {
			for {
				k := int(next.Add(1)) - 1
				if k >= len(plans) || ctx.Err() != nil {
					return
				}
				pl := plans[k]
				res, err := replayScene(ctx, cfg, wcfg, pl, dets[i], sha)
				mu.Lock()
				if err != nil && firstEr == nil {
					firstEr = fmt.Errorf("eval: scene %s: %w", pl.sc.Name, err)
				}
				if err == nil {
					starts[pl.sc.Name] = res.Start
					stats[pl.sc.Name] = res.Stats
					for _, ev := range res.Events {
						all = append(all, received{c: ev.Case, at: ev.PublishedAt})
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firstEr != nil {
		return nil, firstEr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return withStats(score(plans, starts, all), stats), nil
}

// replayScene plays one scene's loops through its camera.
func replayScene(ctx context.Context, cfg Config, wcfg *config.Config, pl plan, det pipeline.ObjectDetector, sha string) (*replay.Result, error) {
	r, err := replay.New(replay.Config{Worker: wcfg, Camera: pl.sc.Name},
		replay.Deps{Logger: cfg.Logger, Detectors: []pipeline.ObjectDetector{det}, ModelSHA: sha})
	if err != nil {
		return nil, err
	}
	return r.Run(ctx, replay.Input{Open: replay.Units(pl.stream.Params, pl.stream.Units),
		Loops: pl.sc.Loops, Period: pl.stream.Period})
}
