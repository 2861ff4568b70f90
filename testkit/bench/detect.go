package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/detect/model"
	"github.com/patrol-city/patrol/models"
	"github.com/patrol-city/patrol/models/assets"
)

// DetectConfig configures the inference benchmark.
type DetectConfig struct {
	// Model is the manifest name (default "yolox_nano").
	Model string
	// Runs is the number of timed inferences (default 100) after 5 warm-up runs.
	Runs int
	// Threads is OpenCV's thread count (default 0: OpenCV's choice).
	Threads int
	// Fetcher resolves the model and imagery (default assets.DefaultFetcher()).
	Fetcher *assets.Fetcher
}

// DetectResult is the outcome of the inference benchmark.
type DetectResult struct {
	Model            string  `json:"model"`
	Runs             int     `json:"runs"`
	InferencesPerSec float64 `json:"inferences_per_s"`
	LatencyMeanMS    float64 `json:"latency_mean_ms"`
	LatencyP50MS     float64 `json:"latency_p50_ms"`
	LatencyP95MS     float64 `json:"latency_p95_ms"`
	// Batched is empty: the YOLOX-Nano export has a fixed batch dimension
	// of 1, so there is no batched figure to report.
	Batched string `json:"batched"`
	// CamerasAt1FPS is how many cameras at one inference per second the
	// detector can serve on this machine (throughput, rounded down).
	CamerasAt1FPS int `json:"cameras_at_1fps"`
}

// Detect times single inferences of the real model on a real street image.
func Detect(ctx context.Context, cfg DetectConfig) (*DetectResult, error) {
	if cfg.Model == "" {
		cfg.Model = "yolox_nano"
	}
	if cfg.Runs == 0 {
		cfg.Runs = 100
	}
	f := cfg.Fetcher
	if f == nil {
		f = assets.DefaultFetcher()
	}
	path, m, err := models.Pull(ctx, f, cfg.Model)
	if err != nil {
		return nil, err
	}
	root, err := f.Root(ctx, assets.Testdata())
	if err != nil {
		return nil, err
	}
	det, err := model.NewDetector(model.Config{ModelPath: path, Classes: m.Classes, Threads: cfg.Threads})
	if err != nil {
		return nil, err
	}
	defer det.Close()
	img := gocv.IMRead(filepath.Join(root, "testdata", "images", "street.png"), gocv.IMReadColor)
	if img.Empty() {
		return nil, fmt.Errorf("bench: cannot read street.png under %s", root)
	}
	defer img.Close()
	for i := 0; i < 5; i++ {
		if _, err := det.Detect(img); err != nil {
			return nil, err
		}
	}
	lat := make([]float64, 0, cfg.Runs)
	start := time.Now()
	for i := 0; i < cfg.Runs && ctx.Err() == nil; i++ {
		t := time.Now()
		if _, err := det.Detect(img); err != nil {
			return nil, err
		}
		lat = append(lat, float64(time.Since(t).Microseconds())/1000)
	}
	total := time.Since(start)
	sort.Float64s(lat)
	var sum float64
	for _, l := range lat {
		sum += l
	}
	n := len(lat)
	r := &DetectResult{
		Model: cfg.Model, Runs: n,
		InferencesPerSec: round2(float64(n) / total.Seconds()),
		LatencyMeanMS:    round2(sum / float64(n)),
		LatencyP50MS:     lat[n/2], LatencyP95MS: lat[n*95/100],
		Batched: "n/a: the model's batch dimension is fixed to 1",
	}
	r.CamerasAt1FPS = int(r.InferencesPerSec)
	return r, nil
}

func round2(v float64) float64 { return float64(int(v*100+0.5)) / 100 }
