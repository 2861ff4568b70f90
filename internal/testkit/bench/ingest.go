// Package bench measures patrol's own resource use against simulated
// cameras. The simulator normally runs in a separate process (see ExecSim)
// so its encoding and serving cost is not counted.
package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patrol-city/patrol/internal/ingest"
	"github.com/patrol-city/patrol/internal/ingest/av"
	"github.com/patrol-city/patrol/internal/media"
)

// Decode modes compared by Ingest.
const (
	ModeKeyframes = "keyframes"
	ModeAll       = "all"
)

// IngestConfig configures Ingest. Zero values take the defaults given.
type IngestConfig struct {
	// Cameras is the number of simultaneous cameras (default 16).
	Cameras int
	// Duration is the measured window of each mode (default 60s).
	Duration time.Duration
	// Warmup runs between every camera receiving its first unit and the
	// start of the window (default 3s).
	Warmup time.Duration
	// ConnectTimeout bounds the wait for every camera's first unit
	// (default 30s).
	ConnectTimeout time.Duration
	// Stream is the simulated camera stream (default 1080p25, GOP 50,
	// 4 Mbit/s).
	Stream
	// Interval is each camera's DetectInterval (default 1s).
	Interval time.Duration
	// Modes are the decode modes to measure, in order: "keyframes" and/or
	// "all" (default both, key frames first).
	Modes []string
	// SpawnSim starts the simulator (required): ExecSim for figures,
	// InProcessSim for tests.
	SpawnSim SpawnFunc
	// Logger receives progress (default slog.Default()).
	Logger *slog.Logger
	// CameraLogger receives the cameras' own logs (default Logger).
	CameraLogger *slog.Logger
}

func (c *IngestConfig) setDefaults() {
	orDefault(&c.Cameras, 16)
	orDefault(&c.Duration, 60*time.Second)
	orDefault(&c.Warmup, 3*time.Second)
	orDefault(&c.ConnectTimeout, 30*time.Second)
	c.Stream.setDefaults()
	orDefault(&c.Interval, time.Second)
	if len(c.Modes) == 0 {
		c.Modes = []string{ModeKeyframes, ModeAll}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.CameraLogger == nil {
		c.CameraLogger = c.Logger
	}
}

// ModeResult holds one decode mode's figures over the measured window.
type ModeResult struct {
	Mode       string  `json:"mode"`
	WallS      float64 `json:"wall_s"`
	CPUS       float64 `json:"cpu_s"`
	CPUPerCam  float64 `json:"cpu_per_camera"`     // fraction of one core
	RSSPerCam  float64 `json:"rss_per_camera_mib"` // end of window, above baseline
	PeakPerCam float64 `json:"rss_peak_per_camera_mib"`
	RingPerCam float64 `json:"ring_per_camera_mib"` // compressed history held
	BaseRSS    float64 `json:"rss_baseline_mib"`    // whole process, before cameras
	Units      uint64  `json:"units_received"`
	Expected   uint64  `json:"units_expected"`    // cameras x FPS x window
	MbitPerCam float64 `json:"mbit_s_per_camera"` // received
	Decoded    uint64  `json:"frames_decoded"`
	Sent       uint64  `json:"frames_sent"`
	Dropped    uint64  `json:"dropped_frames"` // queue drops + decode errors
	Reconnects uint64  `json:"reconnects"`
	// HostBusy is the whole machine's busy CPUs over the window: patrol,
	// the simulator and anything else running.
	HostBusy float64 `json:"host_busy_cores"`
}

// Ingest starts the simulator, then for each mode runs cfg.Cameras ingest
// cameras against it, lets them warm up and measures CPU, memory and frame
// counts over cfg.Duration. Cameras are stopped, and memory returned to the
// OS, between modes. The simulator is stopped before Ingest returns.
func Ingest(ctx context.Context, cfg IngestConfig) (IngestResult, error) {
	cfg.setDefaults()
	if cfg.SpawnSim == nil {
		return IngestResult{}, errors.New("bench: IngestConfig.SpawnSim is required")
	}
	for _, m := range cfg.Modes {
		if m != ModeKeyframes && m != ModeAll {
			return IngestResult{}, fmt.Errorf("bench: mode %q (keyframes or all)", m)
		}
	}
	spec := cfg.spec(cfg.Cameras)
	cfg.Logger.Info("bench: starting simulator", "cameras", cfg.Cameras, "size", fmt.Sprintf("%dx%d", cfg.Width, cfg.Height))
	urls, stop, err := cfg.SpawnSim(ctx, spec)
	if err != nil {
		return IngestResult{}, err
	}
	defer stop()
	res := IngestResult{Cameras: cfg.Cameras, DurationS: cfg.Duration.Seconds(), WarmupS: cfg.Warmup.Seconds(),
		Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS, GOP: cfg.GOP, Bitrate: cfg.Bitrate,
		IntervalS: cfg.Interval.Seconds(), NumCPU: runtime.NumCPU()}
	for _, mode := range cfg.Modes {
		cfg.Logger.Info("bench: measuring", "mode", mode, "window", cfg.Duration)
		m, err := runMode(ctx, &cfg, mode, urls)
		if err != nil {
			return res, fmt.Errorf("bench: mode %s: %w", mode, err)
		}
		res.add(m)
	}
	return res, nil
}

// runMode measures one decode mode.
func runMode(ctx context.Context, cfg *IngestConfig, mode string, urls []string) (ModeResult, error) {
	debug.FreeOSMemory()
	trimCHeap()
	base, err := rssBytes()
	if err != nil {
		return ModeResult{}, err
	}
	cams := make([]*ingest.Camera, len(urls))
	var frames atomic.Uint64
	for i, u := range urls {
		cams[i], err = ingest.New(ingest.Config{
			CameraID: PathName(i), URL: u, DetectInterval: cfg.Interval, DecodeMode: mode,
		}, ingest.Deps{
			Logger:     cfg.CameraLogger,
			NewDecoder: func(c media.Codec) (ingest.Decoder, error) { return av.NewDecoder(c) },
			OnFrame:    func(media.Frame) { frames.Add(1) },
		})
		if err != nil {
			return ModeResult{}, err
		}
	}
	mctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	for _, c := range cams {
		wg.Go(func() { _ = c.Run(mctx) })
	}
	peak := &peakRSS{}
	wg.Go(func() { peak.sample(mctx, 200*time.Millisecond) })

	if err := waitStreaming(ctx, cams, cfg.ConnectTimeout); err != nil {
		return ModeResult{}, err
	}
	if err := sleep(ctx, cfg.Warmup); err != nil {
		return ModeResult{}, err
	}
	s0, t0 := snapshot(cams), time.Now()
	cpu0, err := cpuTime()
	if err != nil {
		return ModeResult{}, err
	}
	hb0, ht0, err := hostCPU()
	if err != nil {
		return ModeResult{}, err
	}
	if err := sleep(ctx, cfg.Duration); err != nil {
		return ModeResult{}, err
	}
	cpu1, err := cpuTime()
	if err != nil {
		return ModeResult{}, err
	}
	hb1, ht1, err := hostCPU()
	if err != nil {
		return ModeResult{}, err
	}
	s1, wall := snapshot(cams), time.Since(t0)
	end, err := rssBytes()
	if err != nil {
		return ModeResult{}, err
	}
	n := float64(len(cams))
	d := s1.minus(s0)
	r := ModeResult{
		Mode: mode, WallS: wall.Seconds(), CPUS: (cpu1 - cpu0).Seconds(),
		RSSPerCam: mib(end-base) / n, PeakPerCam: mib(max(peak.max(), end)-base) / n,
		RingPerCam: mib(s1.Ring.Bytes) / n, BaseRSS: mib(base),
		Units: d.Units, MbitPerCam: float64(d.Bytes) * 8 / wall.Seconds() / 1e6 / n,
		Decoded: d.FramesDecoded, Sent: d.FramesSent, Dropped: d.Dropped + d.DecodeErrors,
		Reconnects: d.Reconnects,
	}
	r.CPUPerCam = r.CPUS / r.WallS / n
	r.Expected = uint64(math.Round(n * float64(cfg.FPS) * wall.Seconds()))
	if ht1 > ht0 {
		r.HostBusy = float64(hb1-hb0) / float64(ht1-ht0) * float64(runtime.NumCPU())
	}
	return r, nil
}
