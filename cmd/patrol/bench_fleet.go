package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/patrol-city/patrol/internal/testkit/bench"
)

// fleetMemberExec is how "bench fleet" starts its member processes: this
// binary with "bench fleet-member" and its environment (the tests put
// their own binary there).
var fleetMemberExec = func() (string, []string, []string, error) {
	exe, err := os.Executable()
	return exe, []string{"bench", "fleet-member"}, os.Environ(), err
}

// cmdBenchFleet runs bench.Fleet: --workers member processes, each a
// worker's fleet control plane (registry, case state, consumer group,
// reconciliation: worker.FleetMember) whose cameras are stand-ins (a
// camera streams from its start to its stop; no RTSP session, decoder
// or detector), so that thousands of cameras fit on one machine. It
// prints a table and one JSON line.
func cmdBenchFleet(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench fleet", flag.ContinueOnError)
	workers := fs.Int("workers", 6, "worker processes")
	cameras := fs.Int("cameras", 300, "cameras in the registry")
	maxCams := fs.Int("max-cameras", 96, "cluster.max_cameras of every worker")
	parts := fs.Int("partitions", 48, "partitions of the registry topic (cluster.partitions)")
	session := fs.Duration("session-timeout", 10*time.Second, "cluster.session_timeout")
	handover := fs.Duration("handover-delay", 0, "cluster.handover_delay (0: its default)")
	brokers := fs.String("brokers", os.Getenv("PATROL_TEST_KAFKA"), "Kafka brokers, comma-separated (default $PATROL_TEST_KAFKA)")
	skipRolling := fs.Bool("skip-rolling", false, "leave the rolling restart out")
	level := fs.String("log-level", "info", "progress log level; members log at warn")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *brokers == "" {
		return fmt.Errorf("bench fleet: --brokers or PATROL_TEST_KAFKA required")
	}
	res, err := runFleetBench(ctx, bench.FleetConfig{
		Brokers: strings.Split(*brokers, ","), Run: fmt.Sprintf("bench-fleet-%d", time.Now().UnixNano()),
		Workers: *workers, Cameras: *cameras, MaxCameras: *maxCams, Partitions: *parts,
		SessionTimeout: *session, HandoverDelay: *handover, SkipRolling: *skipRolling,
		Stderr: os.Stderr, Logger: newLogger(*level),
	})
	if err != nil {
		return err
	}
	if err := res.WriteTable(os.Stdout); err != nil {
		return err
	}
	return printJSONLine(res)
}

// runFleetBench fills in the member command and runs bench.Fleet.
func runFleetBench(ctx context.Context, cfg bench.FleetConfig) (bench.FleetResult, error) {
	exe, pre, env, err := fleetMemberExec()
	if err != nil {
		return bench.FleetResult{}, fmt.Errorf("find own binary for the fleet members: %w", err)
	}
	if cfg.Stderr == nil {
		cfg.Stderr = io.Discard
	}
	cfg.Member = func(name string) *exec.Cmd {
		args := append(append([]string{}, pre...), "--brokers", strings.Join(cfg.Brokers, ","), "--run", cfg.Run,
			"--worker", name, "--max-cameras", strconv.Itoa(cfg.MaxCameras), "--partitions", strconv.Itoa(cfg.Partitions),
			"--session-timeout", cfg.SessionTimeout.String(), "--handover-delay", cfg.HandoverDelay.String())
		cmd := exec.Command(exe, args...)
		cmd.Env = env
		return cmd
	}
	return bench.Fleet(ctx, cfg)
}
