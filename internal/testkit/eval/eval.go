// Package eval measures how well patrol reports cases: it plays a suite of
// scripted scenes and real clips through the full pipeline (decoding,
// detection, tracking, rules, publishing) and compares the published
// cases with each scene's ground truth: precision, recall and the alarm
// error (confirmation time against the moment the ground truth crossed
// min_dwell). By default each scene is replayed (package replay: the
// pipeline of `patrol run` on the recording's clock, as fast as the CPU
// allows, two scenes at a time); Config.Live plays them instead through
// the simulator over RTSP in real time, side by side in one worker.
package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/pipeline"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/testkit/scenes"
	"github.com/patrol-city/patrol/internal/testkit/sim"
	"github.com/patrol-city/patrol/internal/worker"
	"github.com/patrol-city/patrol/models/assets"
)

// Config configures an evaluation run.
type Config struct {
	// Scenes to play (default: every embedded scene of Suite).
	Scenes []string
	// Suite is SuiteComposited (default: the scenes named eval-*) or
	// SuiteReal (real-*: real street clips).
	Suite string
	// AssetDir holds testdata/ (required).
	AssetDir string
	// Fetcher resolves the model (default assets.DefaultFetcher()).
	Fetcher *assets.Fetcher
	// MinDwell of the evaluation rules (default 10s).
	MinDwell time.Duration
	// Logger defaults to a logger that discards below warnings.
	Logger *slog.Logger
	// MotionGate sets the pipeline's motion gating (default nil: the
	// configuration's default, on).
	MotionGate *bool
	// ExtraCameras and ExtraRules join the scenes in the same worker as
	// load without truth (patrol bench pipeline); the report scores only
	// the scenes' cameras.
	ExtraCameras []config.Camera
	ExtraRules   []config.Rule
	// Rule, when set, adjusts each evaluation rule (for example turns the
	// evidence checks off to measure what they buy).
	Rule func(*config.Rule)
	// OnWorker, when set, is called with the worker before it runs.
	OnWorker func(*worker.Worker)
	// Configure, when set, adjusts the worker's configuration before its
	// defaults are applied.
	Configure func(*config.Config)
	// Live plays the scenes over RTSP in real time through one worker
	// (default false: replay). ExtraCameras and OnWorker need it.
	Live bool
	// Parallel is how many scenes replay at a time (default 2).
	Parallel int
}

// Suites of scenes.
const (
	SuiteComposited = "composited"
	SuiteReal       = "real"
)

// suitePrefix is the scene name prefix of a suite.
var suitePrefix = map[string]string{SuiteComposited: "eval-", SuiteReal: "real-"}

// Rules is the evaluation rule set: scenes name these ids.
func Rules(minDwell time.Duration) []config.Rule {
	return []config.Rule{
		{ID: "illegal-parking", Kind: config.KindStationary, Code: "0505", Classes: []string{"car", "truck", "bus", "motorcycle"}, MinDwell: minDwell},
		{ID: "street-vending", Kind: config.KindGathering, Code: "0501", Classes: []string{"person"}, MinDwell: minDwell},
		{ID: "static-object", Kind: config.KindStaticObject, Code: "0507", MinDwell: minDwell},
		{ID: "parked-bikes", Kind: config.KindCount, Code: "0506", Classes: []string{"bicycle", "motorcycle"}, MinDwell: minDwell},
	}
}

// SceneNames returns the embedded scenes of a suite whose one loop lasts
// at most longest (0: any length).
func SceneNames(suite string, longest time.Duration) ([]string, error) {
	prefix, ok := suitePrefix[suite]
	if !ok {
		return nil, fmt.Errorf("eval: unknown suite %q (composited or real)", suite)
	}
	var out []string
	for _, n := range scenes.Names() {
		if !strings.HasPrefix(n, prefix) {
			continue
		}
		if longest > 0 {
			sc, err := scenes.Load(n)
			if err != nil {
				return nil, err
			}
			if sc.Video != "" || sc.Duration > longest {
				continue
			}
		}
		out = append(out, n)
	}
	return out, nil
}

// received is a case as the collector saw it.
type received struct {
	c  cases.Case
	at time.Time
}

// collector is the worker's case writer: it keeps every published case.
type collector struct {
	mu    sync.Mutex
	cases []received
}

func (c *collector) WriteCase(_ context.Context, _ string, value []byte) error {
	if err := cases.ValidateCaseJSON(value); err != nil {
		return fmt.Errorf("eval: case fails the schema: %w", err)
	}
	var cs cases.Case
	if err := json.Unmarshal(value, &cs); err != nil {
		return err
	}
	c.mu.Lock()
	c.cases = append(c.cases, received{cs, time.Now()})
	c.mu.Unlock()
	return nil
}

type discard struct{}

func (discard) WriteCase(context.Context, string, []byte) error { return nil }

// Run plays the scenes and returns the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.AssetDir == "" {
		return nil, errors.New("eval: asset directory required")
	}
	if cfg.MinDwell == 0 {
		cfg.MinDwell = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if cfg.Suite == "" {
		cfg.Suite = SuiteComposited
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 2
	}
	if !cfg.Live && (len(cfg.ExtraCameras) > 0 || cfg.OnWorker != nil) {
		return nil, errors.New("eval: extra cameras and OnWorker need Live")
	}
	if len(cfg.Scenes) == 0 {
		var err error
		if cfg.Scenes, err = SceneNames(cfg.Suite, 0); err != nil {
			return nil, err
		}
	}
	rules := Rules(cfg.MinDwell)
	if cfg.Rule != nil {
		for i := range rules {
			cfg.Rule(&rules[i])
		}
	}
	rules = append(rules, cfg.ExtraRules...)
	plans, rules, err := planScenes(cfg, rules)
	if err != nil {
		return nil, err
	}
	began := time.Now()
	var rep *Report
	if cfg.Live {
		rep, err = runLive(ctx, cfg, plans, rules)
	} else {
		rep, err = runReplay(ctx, cfg, plans, rules)
	}
	if err != nil {
		return nil, err
	}
	rep.Suite = cfg.Suite
	rep.Mode = "replay"
	if cfg.Live {
		rep.Mode = "live"
	}
	rep.WallS = round1(time.Since(began).Seconds())
	for _, pl := range plans {
		rep.PlayedS += pl.length.Seconds()
	}
	rep.PlayedS = round1(rep.PlayedS)
	return rep, nil
}

// workerConfig is the evaluation worker's configuration: one camera per
// scene (at url(scene)), its zone running the scene's rules.
func workerConfig(cfg Config, plans []plan, rules []config.Rule, dir string, url func(string) string) (*config.Config, error) {
	wcfg := &config.Config{
		Worker:     "eval",
		Evidence:   config.Evidence{Kind: "dir", PreRoll: 3 * time.Second, PostRoll: 2 * time.Second, Dir: dir},
		Monitoring: config.Monitoring{MetricsAddress: "off"},
		// The small model scores umbrellas low (models/SOURCES.md).
		Model:   config.Model{ClassThresholds: map[string]float64{"umbrella": 0.15}},
		DataDir: dir,
		Rules:   rules,
	}
	for _, pl := range plans {
		wcfg.Cameras = append(wcfg.Cameras, config.Camera{ID: pl.sc.Name, URL: url(pl.sc.Name),
			Zones: []config.Zone{{ID: "zone", Polygon: pl.sc.Eval.Zone, Rules: pl.rules}}})
	}
	wcfg.Cameras = append(wcfg.Cameras, cfg.ExtraCameras...)
	if cfg.MotionGate != nil {
		wcfg.Ingest.MotionGate = cfg.MotionGate
	}
	if cfg.Configure != nil {
		cfg.Configure(wcfg)
	}
	wcfg.ApplyDefaults()
	if err := wcfg.Validate(); err != nil {
		return nil, err
	}
	return wcfg, nil
}

// runLive plays the scenes side by side over RTSP in real time through one
// worker.
func runLive(ctx context.Context, cfg Config, plans []plan, rules []config.Rule) (*Report, error) {
	srv, err := sim.NewServer(sim.ServerConfig{Address: "127.0.0.1:0"}, cfg.Logger)
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	var longest time.Duration
	for _, pl := range plans {
		longest = max(longest, pl.length)
	}
	tmp, err := os.MkdirTemp("", "patrol-eval-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	wcfg, err := workerConfig(cfg, plans, rules, tmp, srv.URL)
	if err != nil {
		return nil, err
	}
	store, err := evidence.NewDir(tmp, "")
	if err != nil {
		return nil, err
	}
	col := &collector{}
	fetcher := cfg.Fetcher
	if fetcher == nil {
		fetcher = assets.DefaultFetcher()
	}
	w, err := worker.New(wcfg, worker.Deps{Logger: cfg.Logger, Store: store, Cases: col, Health: discard{}, Fetcher: fetcher})
	if err != nil {
		return nil, err
	}
	// The scenes start playing once the worker is up (its model loaded),
	// as they did when the worker was built before them.
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- w.Run(runCtx) }()
	select {
	case <-w.Ready():
	case err := <-ran:
		return nil, err
	}
	starts := map[string]time.Time{}
	for _, pl := range plans {
		if err := srv.Add(pl.sc.Name, pl.stream); err != nil {
			return nil, err
		}
		starts[pl.sc.Name] = time.Now()
	}
	if cfg.OnWorker != nil {
		cfg.OnWorker(w)
	}
	stop := time.AfterFunc(longest-time.Second, cancel)
	defer stop.Stop()
	if err := <-ran; err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return withStats(score(plans, starts, col.cases), w.Pipeline().Stats()), nil
}

// withStats adds the scene cameras' counters to rep.
func withStats(rep *Report, stats map[string]pipeline.CameraStats) *Report {
	for i := range rep.Scenes {
		st := stats[rep.Scenes[i].Scene]
		rep.Scenes[i].IntervalS = st.Interval.Seconds()
		rep.Scenes[i].Pictures = st.Inferences + st.Gated
		rep.Inferences += st.Inferences
		rep.Gated += st.Gated
	}
	return rep
}

// sortedCases returns the cases opened on one camera by confirmation
// time, and when each case that closed closed.
func sortedCases(all []received, camera string) ([]received, map[string]time.Time) {
	var out []received
	closed := map[string]time.Time{}
	for _, r := range all {
		switch {
		case r.c.Camera.ID != camera:
		case r.c.Event == cases.EventOpened || r.c.Event == "":
			out = append(out, r)
		case r.c.Event == cases.EventClosed:
			closed[r.c.CaseID] = r.c.EventTime
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].c.ConfirmedAt.Before(out[j].c.ConfirmedAt) })
	return out, closed
}
