package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/internal/detect/model"
	"github.com/patrol-city/patrol/models"
	"github.com/patrol-city/patrol/models/assets"
)

// DetectConfig configures the inference benchmark.
type DetectConfig struct {
	// Model is the manifest name (default "yolox_nano").
	Model string
	// Runs is the number of timed inferences per backend (default 100)
	// after 5 warm-up runs.
	Runs int
	// Threads is each backend's thread count (default 1, patrol's
	// default: model.threads).
	Threads int
	// Backends are measured in this order, interleaved in rounds of 10
	// inferences so that both see the same machine (default onnxruntime
	// and opencv).
	Backends []string
	// Fetcher resolves the model, runtime and imagery (default
	// assets.DefaultFetcher()).
	Fetcher *assets.Fetcher
}

// DetectResult is the outcome of the inference benchmark.
type DetectResult struct {
	Model   string `json:"model"`
	Runs    int    `json:"runs"`
	Threads int    `json:"threads"`
	// Default is the backend patrol runs by default (model.backend).
	Default  string          `json:"default_backend"`
	Backends []BackendResult `json:"backends"`
	// Speedup is the OpenCV mean latency over the ONNX Runtime one
	// (measured side by side), 0 when one was not run.
	Speedup float64 `json:"speedup_onnxruntime_over_opencv"`
	// Batched is empty: the YOLOX-Nano export has a fixed batch dimension
	// of 1, so there is no batched figure to report.
	Batched string `json:"batched"`
}

// BackendResult is one backend's figures.
type BackendResult struct {
	Backend          string  `json:"backend"`
	InferencesPerSec float64 `json:"inferences_per_s"`
	LatencyMeanMS    float64 `json:"latency_mean_ms"`
	LatencyP50MS     float64 `json:"latency_p50_ms"`
	LatencyP95MS     float64 `json:"latency_p95_ms"`
	// CamerasAt1FPS is how many cameras at one inference per second the
	// detector can serve on one core of this machine (rounded down).
	CamerasAt1FPS int `json:"cameras_at_1fps"`
}

// Detect times single inferences of the real model on a real street image
// with each backend, interleaved.
func Detect(ctx context.Context, cfg DetectConfig) (*DetectResult, error) {
	if cfg.Model == "" {
		cfg.Model = "yolox_nano"
	}
	if cfg.Runs == 0 {
		cfg.Runs = 100
	}
	if cfg.Threads == 0 {
		cfg.Threads = 1
	}
	if len(cfg.Backends) == 0 {
		cfg.Backends = []string{model.BackendONNXRuntime, model.BackendOpenCV}
	}
	f := cfg.Fetcher
	if f == nil {
		f = assets.DefaultFetcher()
	}
	path, m, err := models.Pull(ctx, f, cfg.Model)
	if err != nil {
		return nil, err
	}
	lib, _, err := models.PullRuntime(ctx, f, models.ONNXRuntime)
	if err != nil {
		return nil, err
	}
	root, err := f.Root(ctx, assets.Testdata())
	if err != nil {
		return nil, err
	}
	img := gocv.IMRead(filepath.Join(root, "testdata", "images", "street.png"), gocv.IMReadColor)
	if img.Empty() {
		return nil, fmt.Errorf("bench: cannot read street.png under %s", root)
	}
	defer img.Close()

	dets := make([]*model.Detector, len(cfg.Backends))
	defer func() {
		for _, d := range dets {
			if d != nil {
				d.Close()
			}
		}
	}()
	for i, b := range cfg.Backends {
		d, err := model.NewDetector(model.Config{ModelPath: path, Classes: m.Classes, Threads: cfg.Threads, Backend: b, RuntimeLibrary: lib})
		if err != nil {
			return nil, err
		}
		dets[i] = d
		for k := 0; k < 5; k++ {
			if _, err := d.Detect(img); err != nil {
				return nil, err
			}
		}
	}
	lat := make([][]float64, len(dets))
	busy := make([]time.Duration, len(dets))
	for done := 0; done < cfg.Runs && ctx.Err() == nil; done += 10 {
		for i, d := range dets {
			for k := 0; k < 10 && done+k < cfg.Runs; k++ {
				t := time.Now()
				if _, err := d.Detect(img); err != nil {
					return nil, err
				}
				el := time.Since(t)
				busy[i] += el
				lat[i] = append(lat[i], float64(el.Microseconds())/1000)
			}
		}
	}
	r := &DetectResult{Model: cfg.Model, Runs: cfg.Runs, Threads: cfg.Threads, Default: model.BackendONNXRuntime,
		Batched: "n/a: the model's batch dimension is fixed to 1"}
	means := map[string]float64{}
	for i, b := range cfg.Backends {
		l := lat[i]
		if len(l) == 0 {
			return nil, ctx.Err()
		}
		sort.Float64s(l)
		var sum float64
		for _, v := range l {
			sum += v
		}
		n := len(l)
		br := BackendResult{
			Backend:          b,
			InferencesPerSec: round2(float64(n) / busy[i].Seconds()),
			LatencyMeanMS:    round2(sum / float64(n)),
			LatencyP50MS:     l[n/2], LatencyP95MS: l[n*95/100],
		}
		br.CamerasAt1FPS = int(br.InferencesPerSec)
		means[b] = br.LatencyMeanMS
		r.Backends = append(r.Backends, br)
	}
	if o, c := means[model.BackendONNXRuntime], means[model.BackendOpenCV]; o > 0 && c > 0 {
		r.Speedup = round2(c / o)
	}
	return r, nil
}

func round2(v float64) float64 { return float64(int(v*100+0.5)) / 100 }
