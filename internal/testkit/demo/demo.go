// Package demo runs the whole patrol pipeline on one machine with embedded
// defaults: a simulated camera (package sim) playing a scripted
// illegal-parking scene from real imagery, an embedded Kafka (kfake), and a
// local directory as the evidence store. Every published case is read back
// from Kafka, printed as one line and appended to cases.jsonl.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher/broker"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/testkit/scenes"
	"github.com/patrol-city/patrol/internal/testkit/sim"
	"github.com/patrol-city/patrol/internal/worker"
	"github.com/patrol-city/patrol/models/assets"
)

// Config configures the demo.
type Config struct {
	// DataDir receives evidence/ and cases.jsonl (required).
	DataDir string
	// Duration stops the demo by itself when positive (default 0: until ctx ends).
	Duration time.Duration
	// Scene is the embedded scene played by the camera (default "demo-parking").
	Scene string
	// MinDwell of the demo's illegal-parking rule (default 20s, so a case
	// appears within the first minute).
	MinDwell time.Duration
	// ConsoleListen is the console's address (default 127.0.0.1:8080;
	// "127.0.0.1:0" picks a free port).
	ConsoleListen string
	// Out receives one line per case (default os.Stdout).
	Out io.Writer
}

// Run sets up and runs the demo until ctx ends or Duration passes.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	if cfg.DataDir == "" {
		return errors.New("demo: data directory required")
	}
	if cfg.Scene == "" {
		cfg.Scene = "demo-parking"
	}
	if cfg.MinDwell == 0 {
		cfg.MinDwell = 20 * time.Second
	}
	if cfg.Out == nil {
		cfg.Out = os.Stdout
	}
	if cfg.ConsoleListen == "" {
		cfg.ConsoleListen = "127.0.0.1:8080"
	}
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}

	fetcher := assets.DefaultFetcher()
	root, err := fetcher.Root(ctx, assets.Testdata())
	if err != nil {
		return fmt.Errorf("demo: imagery: %w", err)
	}
	sc, err := scenes.Load(cfg.Scene)
	if err != nil {
		return err
	}
	log.Info("encoding the simulated camera's scene", "scene", sc.Name, "frames", sc.Frames())
	st, err := sim.SceneStream(sc, root, media.H264)
	if err != nil {
		return err
	}
	srv, err := sim.NewServer(sim.ServerConfig{Address: "127.0.0.1:0"}, log)
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.Add("demo-cam-1", st); err != nil {
		return err
	}

	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, config.DefaultCasesTopic, config.DefaultHealthTopic,
		cases.VerdictsTopicV1))
	if err != nil {
		return fmt.Errorf("demo: embedded kafka: %w", err)
	}
	defer kc.Close()
	brokers := kc.ListenAddrs()

	store, err := evidence.NewDir(filepath.Join(cfg.DataDir, "evidence"), config.DefaultBucket)
	if err != nil {
		return err
	}
	kw, err := broker.NewWriter(broker.WriterConfig{Brokers: brokers, Topic: config.DefaultCasesTopic})
	if err != nil {
		return err
	}
	defer kw.Close()

	wcfg, cam := demoConfig(srv.URL("demo-cam-1"), cfg, brokers)
	if err := register(ctx, wcfg, cam); err != nil {
		return err
	}
	w, err := worker.New(wcfg, worker.Deps{Logger: log, Store: store, Cases: kw, Fetcher: fetcher})
	if err != nil {
		return err
	}
	ran := make(chan error, 1)
	go func() { ran <- w.Run(ctx) }()
	select {
	case <-w.Ready():
	case err := <-ran:
		return err
	}
	defer w.Close()
	con, pass, err := startConsole(wcfg, cfg.ConsoleListen, w.MetricsAddr(), store, log)
	if err != nil {
		return err
	}
	conDone := make(chan error, 1)
	go func() { conDone <- con.Run(ctx) }()
	select {
	case <-con.Ready():
	case err := <-conDone:
		return fmt.Errorf("demo: console: %w", err)
	}
	defer func() {
		con.Close()
		if err := <-conDone; err != nil {
			log.Error("console stopped", "err", err)
		}
	}()
	fmt.Fprintf(cfg.Out, "patrol demo: console %s — user %s, password %s\n", con.URL(), demoUser, pass)
	log.Info("demo running", "camera", "demo-cam-1", "min_dwell", cfg.MinDwell, "data", cfg.DataDir, "console", con.URL())

	// The printer reads cases back from Kafka exactly as published.
	printCtx, stopPrint := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var printErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		printErr = printCases(printCtx, brokers, config.DefaultCasesTopic, filepath.Join(cfg.DataDir, "cases.jsonl"), store, cfg.Out)
	}()
	runErr := <-ran
	// Give the printer a moment to read the last published cases.
	time.Sleep(2 * time.Second)
	stopPrint()
	wg.Wait()
	if runErr != nil {
		return runErr
	}
	if printErr != nil && !errors.Is(printErr, context.Canceled) {
		return printErr
	}
	return nil
}

// demoConfig is the demo worker's configuration: one worker of a fleet
// (its camera comes from the registry, so that the console's zone editor
// can change it) and the demo camera it registers.
func demoConfig(url string, cfg Config, brokers []string) (*config.Config, config.Camera) {
	lat, lon := 31.2304, 121.4737
	cam := config.Camera{
		ID: "demo-cam-1", Name: "演示摄像头 · 人行道 (simulated)", URL: url,
		Address: "人民路 1 号 (demo)", Grid: "310101001001001", Latitude: &lat, Longitude: &lon,
		Zones: []config.Zone{{
			ID:      "pavement",
			Polygon: [][]float64{{0.02, 0.55}, {0.98, 0.55}, {0.98, 0.99}, {0.02, 0.99}},
			Rules:   []string{"illegal-parking"},
		}},
	}
	config.ApplyCameraDefaults(&cam)
	c := &config.Config{
		Worker:  "demo",
		Cluster: config.Cluster{Enabled: true, HandoverDelay: time.Millisecond},
		Rules: []config.Rule{{
			ID: "illegal-parking", Code: "0505", Name: "机动车乱停放",
			Classes: []string{"car", "truck", "bus", "motorcycle"}, MinDwell: cfg.MinDwell,
		}},
		Kafka:      config.Kafka{Brokers: brokers},
		Monitoring: config.Monitoring{MetricsAddress: "127.0.0.1:0"},
		Evidence:   config.Evidence{Kind: "dir", Dir: filepath.Join(cfg.DataDir, "evidence")},
		DataDir:    cfg.DataDir,
	}
	c.ApplyDefaults()
	return c, cam
}
