package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/pipeline"
	"github.com/patrol-city/patrol/internal/testkit/eval"
	"github.com/patrol-city/patrol/internal/worker"
	"github.com/patrol-city/patrol/models/assets"
)

// PipelineConfig configures the whole-worker benchmark. Zero fields take
// the defaults of a common IP camera: 1920x1080, 25 fps, GOP 50 (2 s),
// 4 Mbit/s.
type PipelineConfig struct {
	Cameras  int           // default 48
	Duration time.Duration // measured window, default 60s
	Warmup   time.Duration // after every camera reached detection, default 10s
	// Stream is the simulated camera stream (default 1080p25, GOP 50,
	// 4 Mbit/s).
	Stream
	// Workers sets model.workers (default 0: the configuration's default).
	Workers int
	// SubWidth, SubHeight and SubBitrate give every camera a sub-stream
	// (detect_url) of that size (default 0: none).
	SubWidth, SubHeight, SubBitrate int
	// BFrames of the main streams (default 0).
	BFrames int
	// Truth adds the evaluation scenes (testkit/eval, composited parking
	// and vending scenes with ground truth) as further cameras of the same
	// worker, and reports their recall and alarm error under the load.
	// AssetDir is then required (the mirror with the scenes' imagery).
	Truth    bool
	AssetDir string
	// SpawnSim starts the RTSP server (required; ExecSim for a separate
	// process).
	SpawnSim SpawnFunc
	// Fetcher resolves the model and runtime (default assets.DefaultFetcher()).
	Fetcher *assets.Fetcher
	// Logger receives progress (default: discard); WorkerLogger the
	// worker's own log (default: discard).
	Logger, WorkerLogger *slog.Logger
	// ReachTimeout bounds the wait for every camera to reach detection
	// (default 2m).
	ReachTimeout time.Duration
}

func (c *PipelineConfig) setDefaults() {
	orDefault(&c.Cameras, 48)
	c.Stream.setDefaults()
	orDefault(&c.Duration, 60*time.Second)
	orDefault(&c.Warmup, 10*time.Second)
	orDefault(&c.ReachTimeout, 2*time.Minute)
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	if c.Logger == nil {
		c.Logger = discard
	}
	if c.WorkerLogger == nil {
		c.WorkerLogger = discard
	}
}

// PipelineResult is the outcome of Pipeline. CPU is in cores (busy CPU
// seconds per second), memory in MiB.
type PipelineResult struct {
	Cameras   int     `json:"cameras"`
	DurationS float64 `json:"duration_s"`
	Width     int     `json:"width"`
	Height    int     `json:"height"`
	FPS       int     `json:"fps"`
	GOP       int     `json:"gop"`
	Bitrate   int     `json:"bitrate"`
	NumCPU    int     `json:"nproc"`
	// IntervalS is the cameras' sampling interval chosen by need.
	IntervalS float64 `json:"sample_interval_s"`
	Backend   string  `json:"backend"`
	Workers   int     `json:"detector_workers"`
	// BFrames of the main streams.
	BFrames int `json:"bframes"`
	// SubStream is the sub-stream size ("" without one).
	SubStream string `json:"sub_stream,omitempty"`
	// WaitMeanMS is the mean time a picture waited for a detector.
	WaitMeanMS float64 `json:"detect_wait_mean_ms"`

	WorkerCores float64 `json:"worker_cores"`
	HostCores   float64 `json:"host_busy_cores"`
	RSSMiB      float64 `json:"worker_rss_mib"`
	BaseRSSMiB  float64 `json:"worker_rss_baseline_mib"`
	// GoHeapMiB is the Go heap in use at the end (the rest of the RSS is
	// C memory: decoders, ONNX Runtime, and the Go runtime's own).
	GoHeapMiB    float64 `json:"go_heap_mib"`
	RSSPerCamMiB float64 `json:"rss_per_camera_mib"`
	// Units are access units received; Dropped the ones the decoder queue
	// had no room for plus pictures replaced while waiting for the
	// detector; DecodeErrors units the decoder rejected.
	Units        uint64 `json:"units_received"`
	UnitsWanted  uint64 `json:"units_expected"`
	Decoded      uint64 `json:"frames_decoded"`
	Dropped      uint64 `json:"dropped"`
	DecodeErrors uint64 `json:"decode_errors"`
	Inferences   uint64 `json:"inferences"`
	// InferencesPerSec over the window; Reached is the number of cameras
	// with at least one inference in it.
	InferencesPerSec float64 `json:"inferences_per_s"`
	Reached          int     `json:"cameras_reaching_detection"`
	// LatencyP50MS/P95MS: over cameras, the median of each camera's p50
	// and the largest p95 of frame receipt to rule evaluation.
	LatencyP50MS float64 `json:"latency_p50_ms"`
	LatencyP95MS float64 `json:"latency_p95_ms"`
	// Truth is the scenes' report when PipelineConfig.Truth is set.
	Truth *eval.Report `json:"truth,omitempty"`
	// CaseCost is what each rule event cost before its case opened, by
	// stage, over the whole run (warm-up included: cases are rare).
	CaseCost CaseCost `json:"case_cost"`
}

// Pipeline runs the real worker (worker.New with the default
// configuration, the `patrol run` path) on cfg.Cameras cameras served by
// the simulator, each with one illegal-parking zone (rule 0505 at its
// defaults), Kafka embedded (kfake) and evidence in a temporary directory,
// and measures the worker over cfg.Duration once every camera reached
// detection and warmed up. The worker runs in this process: its CPU and
// memory are this process's, which also holds the embedded Kafka (idle:
// no case is published in the window).
func Pipeline(ctx context.Context, cfg PipelineConfig) (*PipelineResult, error) {
	cfg.setDefaults()
	if cfg.SpawnSim == nil {
		return nil, errors.New("bench: PipelineConfig.SpawnSim is required")
	}
	spec := cfg.spec(cfg.Cameras)
	spec.SubWidth, spec.SubHeight, spec.SubBitrate, spec.BFrames = cfg.SubWidth, cfg.SubHeight, cfg.SubBitrate, cfg.BFrames
	cfg.Logger.Info("bench: starting simulator", "cameras", cfg.Cameras)
	urls, stop, err := cfg.SpawnSim(ctx, spec)
	if err != nil {
		return nil, err
	}
	defer stop()
	var subURLs []string
	if cfg.SubWidth > 0 {
		urls, subURLs = urls[:cfg.Cameras], urls[cfg.Cameras:]
	}
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, config.DefaultCasesTopic, config.DefaultHealthTopic))
	if err != nil {
		return nil, fmt.Errorf("bench: embedded kafka: %w", err)
	}
	defer kc.Close()
	dir, err := os.MkdirTemp("", "patrol-bench-pipeline-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	wcfg := pipelineConfig(urls, kc.ListenAddrs(), dir)
	for i, u := range subURLs {
		wcfg.Cameras[i].DetectURL = u
	}
	if cfg.Workers > 0 {
		wcfg.Model.Workers = cfg.Workers
	}
	if cfg.Truth {
		return pipelineWithTruth(ctx, &cfg, wcfg)
	}
	w, err := worker.New(wcfg, worker.Deps{Logger: cfg.WorkerLogger, Fetcher: cfg.Fetcher})
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- w.Run(wctx) }()
	defer func() {
		cancel()
		<-ran //nolint:errcheck // the measurement is over; the worker's own stop is not what is measured
	}()
	select {
	case <-w.Ready():
	case err := <-ran:
		ran <- err
		return nil, err
	}
	// The worker's fixed cost (runtime, model, embedded Kafka) is the
	// baseline; what the cameras add on top is per camera.
	base, err := rssBytes()
	if err != nil {
		return nil, err
	}
	m, err := startWindow(ctx, &cfg, w.Pipeline(), len(urls))
	if err != nil {
		return nil, err
	}
	if err := sleep(ctx, cfg.Duration); err != nil {
		return nil, err
	}
	m.sample()
	return m.result(&cfg, wcfg, base), nil
}

// window measures the worker between a first and a last sample.
type window struct {
	pipe         *pipeline.Pipeline
	s0, s1       map[string]pipeline.CameraStats
	t0, t1       time.Time
	cpu0, cpu1   time.Duration
	hb0, ht0     uint64
	hb1, ht1     uint64
	rss          int64
	heap         uint64
	measuredCams map[string]bool // nil: every camera
}

// startWindow waits until n cameras reached detection, warms up and takes
// the first sample.
func startWindow(ctx context.Context, cfg *PipelineConfig, pipe *pipeline.Pipeline, n int) (*window, error) {
	if err := waitReached(ctx, pipe, n, cfg.ReachTimeout); err != nil {
		return nil, err
	}
	cfg.Logger.Info("bench: every camera reached detection; warming up", "for", cfg.Warmup)
	if err := sleep(ctx, cfg.Warmup); err != nil {
		return nil, err
	}
	m := &window{pipe: pipe}
	m.s0, m.t0 = pipe.Stats(), time.Now()
	cpu, err := cpuTime()
	if err != nil {
		return nil, err
	}
	m.cpu0 = cpu
	m.hb0, m.ht0, _ = hostCPU()
	cfg.Logger.Info("bench: measuring")
	return m, nil
}

// sample takes the last sample (it may be taken again; the latest counts).
func (m *window) sample() {
	m.s1, m.t1 = m.pipe.Stats(), time.Now()
	m.cpu1, _ = cpuTime()
	m.hb1, m.ht1, _ = hostCPU()
	m.rss, _ = rssBytes()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.heap = ms.HeapInuse
}

func (m *window) result(cfg *PipelineConfig, wcfg *config.Config, base int64) *PipelineResult {
	wall := m.t1.Sub(m.t0)
	n := len(m.s1)
	if m.measuredCams != nil {
		n = len(m.measuredCams)
	}
	r := &PipelineResult{Cameras: n, DurationS: round(wall.Seconds(), 1), Width: cfg.Width, Height: cfg.Height,
		FPS: cfg.FPS, GOP: cfg.GOP, Bitrate: cfg.Bitrate, NumCPU: runtime.NumCPU(), Backend: string(wcfg.Model.Backend), Workers: wcfg.Model.Workers,
		IntervalS: wcfg.SampleInterval(wcfg.Cameras[len(wcfg.Cameras)-1]).Seconds()}
	r.BFrames = cfg.BFrames
	if cfg.SubWidth > 0 {
		r.SubStream = fmt.Sprintf("%dx%d at %.1f Mbit/s", cfg.SubWidth, cfg.SubHeight, float64(cfg.SubBitrate)/1e6)
	}
	r.WorkerCores = round((m.cpu1-m.cpu0).Seconds()/wall.Seconds(), 3)
	if m.ht1 > m.ht0 {
		r.HostCores = round(float64(m.hb1-m.hb0)/float64(m.ht1-m.ht0)*float64(runtime.NumCPU()), 2)
	}
	r.RSSMiB = round(mib(m.rss), 1)
	r.BaseRSSMiB = round(mib(base), 1)
	r.GoHeapMiB = round(mib(m.heap), 1)
	r.RSSPerCamMiB = round(mib(m.rss-base)/float64(len(m.s1)), 1)
	r.UnitsWanted = uint64(float64(n*cfg.FPS) * wall.Seconds())
	var p50s []time.Duration
	var wait, p95 time.Duration
	for id, a := range m.s1 {
		if m.measuredCams != nil && !m.measuredCams[id] {
			continue
		}
		b := m.s0[id]
		r.Units += a.Ingest.Units - b.Ingest.Units
		r.Decoded += a.Ingest.FramesDecoded - b.Ingest.FramesDecoded
		r.DecodeErrors += a.Ingest.DecodeErrors - b.Ingest.DecodeErrors
		r.Dropped += a.Ingest.Dropped - b.Ingest.Dropped + a.Replaced - b.Replaced
		if a.Inferences-b.Inferences+a.Gated-b.Gated > 0 {
			r.Reached++
		}
		r.Inferences += a.Inferences - b.Inferences
		wait += a.DetectWait - b.DetectWait
		p50s = append(p50s, a.LatencyP50)
		p95 = max(p95, a.LatencyP95)
	}
	slices.Sort(p50s)
	if len(p50s) > 0 {
		r.LatencyP50MS = round(float64(p50s[len(p50s)/2].Microseconds())/1000, 1)
	}
	r.LatencyP95MS = round(float64(p95.Microseconds())/1000, 1)
	r.InferencesPerSec = round(float64(r.Inferences)/wall.Seconds(), 2)
	r.CaseCost = caseCost(m.s1)
	if r.Inferences > 0 {
		r.WaitMeanMS = round(float64(wait.Microseconds())/1000/float64(r.Inferences), 1)
	}
	return r
}

// waitReached waits until at least n cameras had an inference (or a gated
// one).
func waitReached(ctx context.Context, p *pipeline.Pipeline, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		reached := 0
		for _, s := range p.Stats() {
			if s.Inferences+s.Gated > 0 {
				reached++
			}
		}
		if reached >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: %d of %d cameras reached detection within %v", reached, n, timeout)
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}

// pipelineConfig is the default configuration of a worker watching urls,
// each camera with one illegal-parking zone over the lower half.
func pipelineConfig(urls, brokers []string, dir string) *config.Config {
	c := &config.Config{
		Worker: "bench",
		Rules: []config.Rule{{
			ID: "illegal-parking", Code: "0505",
			Classes: []string{"car", "truck", "bus", "motorcycle"},
		}},
		Kafka:      config.Kafka{Brokers: brokers},
		Monitoring: config.Monitoring{MetricsAddress: "127.0.0.1:0"},
		Evidence:   config.Evidence{Kind: "dir", Dir: filepath.Join(dir, "evidence")},
		DataDir:    filepath.Join(dir, "data"),
	}
	for i, u := range urls {
		c.Cameras = append(c.Cameras, config.Camera{
			ID: PathName(i), URL: u,
			Zones: []config.Zone{{
				ID:      "kerb",
				Polygon: [][]float64{{0.02, 0.5}, {0.98, 0.5}, {0.98, 0.99}, {0.02, 0.99}},
				Rules:   []string{"illegal-parking"},
			}},
		})
	}
	c.ApplyDefaults()
	return c
}

// CaseCost is the mean cost of the closer look per rule event, by stage,
// in milliseconds of wall time on the analysing goroutine.
type CaseCost struct {
	Events       uint64  `json:"events"`
	SecondLookMS float64 `json:"second_look_ms"`
	PlateMS      float64 `json:"plate_ms"`
	RedactMS     float64 `json:"redact_ms"`
}

// caseCost sums the cameras' closer looks.
func caseCost(stats map[string]pipeline.CameraStats) CaseCost {
	var c CaseCost
	var sl, pl, rd time.Duration
	for _, s := range stats {
		c.Events += s.Looked
		sl, pl, rd = sl+s.SecondLookTime, pl+s.PlateTime, rd+s.RedactTime
	}
	if c.Events > 0 {
		per := func(d time.Duration) float64 { return round(float64(d.Microseconds())/1000/float64(c.Events), 1) }
		c.SecondLookMS, c.PlateMS, c.RedactMS = per(sl), per(pl), per(rd)
	}
	return c
}
