package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"text/tabwriter"
	"time"

	"github.com/patrol-city/patrol/internal/testkit/bench"
	"github.com/patrol-city/patrol/models/assets"
)

// cmdBenchPipeline runs bench.Pipeline (the real worker at its default
// configuration) against a simulator in a child process and prints a
// table followed by one JSON line.
func cmdBenchPipeline(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench pipeline", flag.ContinueOnError)
	cameras := fs.Int("cameras", 48, "number of simulated cameras")
	dur := fs.Duration("duration", 60*time.Second, "measured window")
	warmup := fs.Duration("warmup", 10*time.Second, "warm-up after every camera reached detection")
	sf := addStreamFlags(fs)
	workers := fs.Int("detector-workers", 0, "set model.workers (0: the default configuration's)")
	bframes := fs.Int("bframes", 0, "B-frames between reference frames of the cameras' streams")
	subW := fs.Int("sub-width", 0, "give every camera a sub-stream (detect_url) of this width (0: none)")
	subH := fs.Int("sub-height", 360, "sub-stream height")
	subRate := fs.Int("sub-bitrate", 512_000, "sub-stream bit rate in bits/s")
	truth := fs.Bool("truth", true, "add the evaluation scenes as truth cameras and report their recall and alarm error")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the measured run to this file")
	level := fs.String("log-level", "info", "progress log level (the worker logs at warn)")
	spawn, err := parseBench(fs, args, level)
	if err != nil {
		return err
	}
	log := newLogger(*level)
	var assetDir string
	if *truth {
		f := assets.DefaultFetcher()
		root, err := f.Root(ctx, assets.Testdata())
		if err != nil {
			return err
		}
		assetDir = root
	}
	cfg := bench.PipelineConfig{
		Truth: *truth, AssetDir: assetDir,
		Cameras: *cameras, Duration: *dur, Warmup: *warmup,
		Stream: sf.stream(), Workers: *workers, BFrames: *bframes,
		SpawnSim:     spawn,
		Logger:       log,
		WorkerLogger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	if *subW > 0 {
		cfg.SubWidth, cfg.SubHeight, cfg.SubBitrate = *subW, *subH, *subRate
	}
	stopProfile, err := startCPUProfile(*cpuprofile)
	if err != nil {
		return err
	}
	defer stopProfile()
	r, err := bench.Pipeline(ctx, cfg)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "cameras\t%d (%dx%d, %d fps, GOP %d, %d B-frames, %.1f Mbit/s), backend %s x %d, sample interval %.0f s\n",
		r.Cameras, r.Width, r.Height, r.FPS, r.GOP, r.BFrames, float64(r.Bitrate)/1e6, r.Backend, r.Workers, r.IntervalS)
	if r.SubStream != "" {
		fmt.Fprintf(tw, "sub-stream\t%s (detection reads it; the main stream is only buffered)\n", r.SubStream)
	}
	fmt.Fprintf(tw, "worker CPU\t%.2f cores (machine busy %.2f of %d)\n", r.WorkerCores, r.HostCores, r.NumCPU)
	fmt.Fprintf(tw, "worker RSS\t%.0f MiB: %.0f MiB before the cameras (runtime, model, embedded Kafka), %.1f MiB per camera; Go heap %.0f MiB\n", r.RSSMiB, r.BaseRSSMiB, r.RSSPerCamMiB, r.GoHeapMiB)
	fmt.Fprintf(tw, "units\t%d received of %d, %d decoded, %d dropped, %d decode errors\n", r.Units, r.UnitsWanted, r.Decoded, r.Dropped, r.DecodeErrors)
	fmt.Fprintf(tw, "detection\t%.2f inferences/s, %d of %d cameras reached, mean wait for a detector %.0f ms, latency p50 %.0f ms, p95 %.0f ms\n",
		r.InferencesPerSec, r.Reached, r.Cameras, r.WaitMeanMS, r.LatencyP50MS, r.LatencyP95MS)
	if t := r.Truth; t != nil {
		fmt.Fprintf(tw, "truth cameras\t%d scenes: precision %.2f, recall %.2f (%d of %d cases), alarm error median %.1f s, max %.1f s\n",
			t.SceneCount, t.Precision, t.Recall, t.TP, t.ExpectedCases, t.AlarmErrorMedianS, t.AlarmErrorMaxS)
	}
	if c := r.CaseCost; c.Events > 0 {
		fmt.Fprintf(tw, "per case\t%d rule events looked at closer: second look %.0f ms, plate %.0f ms, redacted copy %.0f ms each\n",
			c.Events, c.SecondLookMS, c.PlateMS, c.RedactMS)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return printJSONLine(r)
}
