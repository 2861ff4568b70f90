package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/patrol-city/patrol/internal/testkit/bench"
)

const benchUsage = `usage: patrol bench <benchmark> [flags]

benchmarks:
  pipeline the real worker at its default configuration on N cameras:
           CPU, memory, drops, inferences and detection latency
  ingest   CPU and memory of N cameras decoding key frames only vs all frames
  detect   both detector backends side by side on this machine
  plate    the plate reader's milliseconds per vehicle on labelled pictures
  fleet    W workers' fleet control plane (group, registry, case state) on
           C stand-in cameras against Kafka: placement, SIGKILL, rolling restart

Run 'patrol bench <benchmark> -h' for its flags.`

// cmdBench runs one of patrol's benchmarks. "sim-synthetic" is the hidden
// simulator process that "bench ingest" starts, "fleet-member" the
// worker process that "bench fleet" starts.
func cmdBench(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, benchUsage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "ingest":
		return cmdBenchIngest(ctx, args[1:])
	case "pipeline":
		return cmdBenchPipeline(ctx, args[1:])
	case "detect":
		return cmdBenchDetect(ctx, args[1:])
	case "plate":
		return cmdBenchPlate(ctx, args[1:])
	case "fleet":
		return cmdBenchFleet(ctx, args[1:])
	case "fleet-member":
		return cmdFleetMember(ctx, args[1:])
	case "sim-synthetic":
		return cmdSimSynthetic(ctx, args[1:])
	case "-h", "--help", "help":
		fmt.Println(benchUsage)
		return nil
	}
	return fmt.Errorf("unknown benchmark %q\n\n%s", args[0], benchUsage)
}

// cmdBenchIngest runs bench.Ingest against a simulator in a child process
// and prints a table followed by one JSON line.
func cmdBenchIngest(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench ingest", flag.ContinueOnError)
	cameras := fs.Int("cameras", 16, "number of simulated cameras")
	dur := fs.Duration("duration", 60*time.Second, "measured window per decode mode")
	warmup := fs.Duration("warmup", 3*time.Second, "warm-up before each window")
	sf := addStreamFlags(fs)
	interval := fs.Duration("interval", time.Second, "detection interval of each camera")
	modes := fs.String("modes", "keyframes,all", "comma-separated decode modes to measure: keyframes, all")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	level := fs.String("log-level", "info", "progress log level: debug, info, warn or error (cameras log at warn)")
	spawn, err := parseBench(fs, args, level)
	if err != nil {
		return err
	}
	log := newLogger(*level)
	camLevel := slog.LevelWarn
	if *level == "debug" {
		camLevel = slog.LevelDebug
	}
	camLog := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: camLevel}))
	cfg := bench.IngestConfig{
		Cameras: *cameras, Duration: *dur, Warmup: *warmup,
		Stream: sf.stream(), Interval: *interval,
		Modes:    splitList(*modes),
		SpawnSim: spawn,
		Logger:   log, CameraLogger: camLog,
	}
	stopProfile, err := startCPUProfile(*cpuprofile)
	if err != nil {
		return err
	}
	defer stopProfile()
	res, err := bench.Ingest(ctx, cfg)
	if err != nil {
		return err
	}
	if err := res.WriteTable(os.Stdout); err != nil {
		return err
	}
	return printJSONLine(res)
}

// splitList splits a comma-separated flag value, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// cmdBenchDetect times both detector backends side by side and prints a
// table followed by one JSON line.
func cmdBenchDetect(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench detect", flag.ContinueOnError)
	runs := fs.Int("runs", 100, "timed inferences per backend")
	threads := fs.Int("threads", 1, "threads per inference (patrol's default model.threads: 1)")
	backends := fs.String("backends", "onnxruntime,opencv", "comma-separated backends to measure")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, err := bench.Detect(ctx, bench.DetectConfig{Runs: *runs, Threads: *threads, Backends: strings.Split(*backends, ",")})
	if err != nil {
		return err
	}
	for _, b := range r.Backends {
		def := ""
		if b.Backend == r.Default {
			def = " (default)"
		}
		fmt.Printf("%s %s%s: %.1f inferences/s, mean %.1f ms, p50 %.1f ms, p95 %.1f ms, %d threads\n",
			r.Model, b.Backend, def, b.InferencesPerSec, b.LatencyMeanMS, b.LatencyP50MS, b.LatencyP95MS, r.Threads)
	}
	if r.Speedup > 0 {
		fmt.Printf("onnxruntime is %.2fx faster than opencv (same picture, interleaved runs); batched: %s\n", r.Speedup, r.Batched)
	}
	return printJSONLine(r)
}

// startCPUProfile writes a CPU profile to path until stop ("" profiles
// nothing).
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// stream is the benchmark stream the flags give.
func (sf streamFlags) stream() bench.Stream {
	return bench.Stream{Width: *sf.width, Height: *sf.height, FPS: *sf.fps, GOP: *sf.gop, Bitrate: *sf.bitrate}
}

// streamFlags are the benchmarks' simulated camera stream.
type streamFlags struct{ width, height, fps, gop, bitrate *int }

// addStreamFlags registers -width, -height, -fps, -gop and -bitrate with
// the common IP-camera setting as defaults.
func addStreamFlags(fs *flag.FlagSet) streamFlags {
	return streamFlags{
		width:   fs.Int("width", 1920, "picture width"),
		height:  fs.Int("height", 1080, "picture height"),
		fps:     fs.Int("fps", 25, "frame rate"),
		gop:     fs.Int("gop", 50, "key-frame interval in frames"),
		bitrate: fs.Int("bitrate", 4_000_000, "stream bit rate in bits/s"),
	}
}

// parseBench parses a benchmark's flags (no positional arguments) and
// returns the spawner of its simulator: this binary's hidden
// "bench sim-synthetic" in a child process, logging at *level.
func parseBench(fs *flag.FlagSet, args []string, level *string) (bench.SpawnFunc, error) {
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own binary for the simulator: %w", err)
	}
	return bench.ExecSim(exe, []string{"bench", "sim-synthetic", "--log-level", *level}, os.Stderr), nil
}

// printJSONLine prints a benchmark's result as one JSON line, after its
// table.
func printJSONLine(v any) error {
	line, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	_, err = fmt.Printf("%s\n", line)
	return err
}
