package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"slices"
	"syscall"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/kafka"
	"github.com/patrol-city/patrol/internal/kafka/registry"
	"github.com/patrol-city/patrol/internal/publisher/broker"
)

// FleetConfig is a run of the fleet bench (Fleet).
type FleetConfig struct {
	// Brokers of the Kafka the fleet uses (required).
	Brokers []string
	// Run names the run's group and topics (required; unique per run).
	Run string
	// Workers, Cameras and MaxCameras: the fleet (defaults 6, 300, 96).
	Workers, Cameras, MaxCameras int
	// Partitions of the registry (default 48, cluster.partitions').
	Partitions int
	// SessionTimeout and HandoverDelay of the workers (0: the defaults
	// of cluster, 10 s and cluster.handover_delay's).
	SessionTimeout, HandoverDelay time.Duration
	// SkipRolling leaves the rolling restart out.
	SkipRolling bool
	// Member returns the command of one member process named name (see
	// FleetMemberLine); required.
	Member func(name string) *exec.Cmd
	// Stderr receives the members' logs (nil: discarded).
	Stderr io.Writer
	// Logger reports progress (nil: silent).
	Logger *slog.Logger
}

// FleetResult is what Fleet measured; the JSON line of `patrol bench fleet`.
type FleetResult struct {
	Workers    int `json:"workers"`
	Cameras    int `json:"cameras"`
	MaxCameras int `json:"max_cameras"`
	Partitions int `json:"partitions"`
	// ApplyToStreamingS: from the apply of every camera to the last one
	// started (or the fleet settled, when some never start).
	ApplyToStreamingS float64 `json:"apply_to_streaming_s"`
	// Unwatched are cameras no worker runs once settled; Duplicated are
	// cameras run by more than one.
	Unwatched  int `json:"unwatched"`
	Duplicated int `json:"duplicated"`
	// PerWorkerMin, PerWorkerMax: cameras run per worker.
	PerWorkerMin int `json:"per_worker_min"`
	PerWorkerMax int `json:"per_worker_max"`
	// OverCapacity: cameras the workers own but do not run (max_cameras),
	// summed over the workers' status; OverMax: workers running more than
	// max_cameras.
	OverCapacity int `json:"over_capacity"`
	OverMax      int `json:"over_max"`
	// Unplaced: cameras the workers report that no worker has room for
	// (the most any worker reports), to compare with Unwatched.
	Unplaced int `json:"unplaced"`
	// ChangeToEffectS: one camera changed by apply, to its restart.
	ChangeToEffectS float64 `json:"change_to_effect_s"`
	// LostWorkerCameras: cameras of the worker killed with SIGKILL;
	// MovedAfterKill: cameras whose worker differs once settled again;
	// KillToStreamingS: from the kill to the last camera started;
	// UnwatchedAfterKill: cameras no worker runs once settled.
	LostWorkerCameras  int     `json:"lost_worker_cameras"`
	MovedAfterKill     int     `json:"moved_after_kill"`
	KillToStreamingS   float64 `json:"kill_to_streaming_s"`
	UnwatchedAfterKill int     `json:"unwatched_after_kill"`
	// MovedAfterRejoin: cameras whose worker differs once the killed
	// worker is back and the fleet settled.
	MovedAfterRejoin int `json:"moved_after_rejoin"`
	// RestartsOfKeptCameras: stops of a camera by a live worker that
	// started it again itself (kill, rejoin and rolling restart).
	RestartsOfKeptCameras int `json:"restarts_of_kept_cameras"`
	// RollingRestart*: every worker stopped (SIGTERM) and started again,
	// one at a time, the next once the new one has its first assignment:
	// the longest time one camera watched at its start went unwatched
	// (until the fleet settled), the camera-seconds unwatched in all,
	// camera starts per camera, how long it took.
	RollingRestartMaxGapS        float64 `json:"rolling_restart_max_gap_s"`
	RollingRestartCameraSeconds  float64 `json:"rolling_restart_camera_seconds_unwatched"`
	RollingRestartMovesPerCamera float64 `json:"rolling_restart_moves_per_camera"`
	RollingRestartS              float64 `json:"rolling_restart_s"`
	UnwatchedAfterRolling        int     `json:"unwatched_after_rolling"`
	// HeapPerWorkerMiB: the largest member heap after a collection (the
	// registry and case-state tables, the group client).
	HeapPerWorkerMiB float64 `json:"heap_per_worker_mib"`
}

// fleetRun is one Fleet call's state.
type fleetRun struct {
	cfg   FleetConfig
	wcfg  *config.Config
	log   *slog.Logger
	tr    *fleetTracker
	procs map[string]*fleetProc
	names []string
	cams  []config.Camera
	res   FleetResult
}

// Fleet runs the fleet bench: cfg.Workers member processes with stand-in
// cameras (see worker.FleetMember) on a registry of cfg.Cameras cameras,
// then a camera change, a SIGKILL and its rejoin, and a rolling restart.
func Fleet(ctx context.Context, cfg FleetConfig) (FleetResult, error) {
	if cfg.Workers == 0 {
		cfg.Workers = 6
	}
	if cfg.Cameras == 0 {
		cfg.Cameras = 300
	}
	if cfg.MaxCameras == 0 {
		cfg.MaxCameras = 96
	}
	if len(cfg.Brokers) == 0 || cfg.Run == "" || cfg.Member == nil {
		return FleetResult{}, errors.New("bench: fleet needs brokers, a run name and the member command")
	}
	if cfg.Stderr == nil {
		cfg.Stderr = io.Discard
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	wcfg := FleetWorkerConfig(cfg.Brokers, cfg.Run, "bench", cfg.MaxCameras, cfg.Partitions, cfg.SessionTimeout, cfg.HandoverDelay)
	r := &fleetRun{cfg: cfg, wcfg: wcfg, log: cfg.Logger, tr: newFleetTracker(), procs: map[string]*fleetProc{}}
	r.res = FleetResult{Workers: cfg.Workers, Cameras: cfg.Cameras, MaxCameras: cfg.MaxCameras, Partitions: wcfg.Cluster.Partitions}
	for i := range cfg.Cameras {
		id := fmt.Sprintf("cam-%05d", i)
		r.cams = append(r.cams, config.Camera{ID: id, URL: "rtsp://bench.invalid/" + id})
	}
	defer func() {
		for _, p := range r.procs {
			_ = p.kill(syscall.SIGKILL, 10*time.Second)
		}
		if err := deleteRunTopics(cfg.Brokers, wcfg.Cluster.RegistryTopic, wcfg.Cluster.CaseStateTopic); err != nil {
			r.log.Warn("run's topics left on the brokers", "err", err)
		}
	}()
	err := r.run(ctx)
	return r.res, err
}

func (r *fleetRun) run(ctx context.Context) error {
	// The registry exists before the members read it.
	reg, err := kafka.OpenTable(ctx, r.wcfg, kafka.RegistryTopic(r.wcfg), kafka.TableOptions{Timeout: time.Minute})
	if err != nil {
		return err
	}
	defer reg.Close()
	for i := range r.cfg.Workers {
		r.names = append(r.names, fmt.Sprintf("w%02d", i))
	}
	for _, n := range r.names {
		if err := r.start(n); err != nil {
			return err
		}
	}
	for _, n := range r.names {
		if err := r.waitReady(ctx, r.procs[n]); err != nil {
			return err
		}
	}
	if _, err := r.settle(ctx, time.Now(), 2*time.Minute); err != nil {
		return err
	}
	r.log.Info("fleet joined", "workers", len(r.names))
	if err := r.applyAll(ctx, reg); err != nil {
		return err
	}
	if err := r.change(ctx, reg); err != nil {
		return err
	}
	if err := r.killOne(ctx); err != nil {
		return err
	}
	if !r.cfg.SkipRolling {
		if err := r.rolling(ctx); err != nil {
			return err
		}
	}
	for _, p := range r.procs {
		st, _, _ := p.snapshot()
		r.res.HeapPerWorkerMiB = max(r.res.HeapPerWorkerMiB, round(float64(st.HeapBytes)/(1<<20), 1))
	}
	return nil
}

func (r *fleetRun) start(name string) error {
	p, err := r.tr.spawn(r.cfg.Member(name), name, r.cfg.Stderr)
	if err != nil {
		return err
	}
	r.procs[name] = p
	return nil
}

// waitReady waits for the member's tables and first assignment.
func (r *fleetRun) waitReady(ctx context.Context, p *fleetProc) error {
	limit := time.After(2 * time.Minute)
	for {
		st, _, _ := p.snapshot()
		if st.Assignments > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.exited:
			return fmt.Errorf("bench: fleet member %s exited before its first assignment", p.name)
		case <-limit:
			return fmt.Errorf("bench: fleet member %s had no assignment within 2 min", p.name)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// apply writes cams to the registry as `patrol cameras apply` does.
func (r *fleetRun) apply(ctx context.Context, reg *kafka.Table, cams []config.Camera) error {
	w, err := broker.NewWriter(broker.WriterConfig{Brokers: r.cfg.Brokers, Topic: r.wcfg.Cluster.RegistryTopic})
	if err != nil {
		return err
	}
	defer w.Close()
	actx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := reg.Sync(actx); err != nil {
		return err
	}
	_, err = registry.Apply(actx, reg, w, cams, false)
	return err
}

func (r *fleetRun) applyAll(ctx context.Context, reg *kafka.Table) error {
	t0 := time.Now()
	if err := r.apply(ctx, reg, r.cams); err != nil {
		return err
	}
	last, err := r.settle(ctx, t0, 3*time.Minute)
	if err != nil {
		return err
	}
	r.res.ApplyToStreamingS = round(last.Sub(t0).Seconds(), 2)
	own := r.tr.owned()
	r.res.Unwatched, r.res.Duplicated = r.coverage(own)
	r.res.PerWorkerMin = -1
	for _, p := range r.procs {
		st, _, n := p.snapshot()
		if r.res.PerWorkerMin < 0 || n < r.res.PerWorkerMin {
			r.res.PerWorkerMin = n
		}
		r.res.PerWorkerMax = max(r.res.PerWorkerMax, n)
		r.res.OverCapacity += st.OverCapacity
		r.res.Unplaced = max(r.res.Unplaced, st.Unplaced)
		if n > r.cfg.MaxCameras {
			r.res.OverMax++
		}
	}
	r.log.Info("cameras applied", "s", r.res.ApplyToStreamingS, "unwatched", r.res.Unwatched, "over_capacity", r.res.OverCapacity)
	return nil
}

// coverage counts the cameras no worker runs and those run twice.
func (r *fleetRun) coverage(own map[string][]string) (unwatched, dup int) {
	for _, c := range r.cams {
		switch n := len(own[c.ID]); {
		case n == 0:
			unwatched++
		case n > 1:
			dup++
		}
	}
	return unwatched, dup
}

// change renames one running camera and times its restart.
func (r *fleetRun) change(ctx context.Context, reg *kafka.Table) error {
	own := r.tr.owned()
	i := slices.IndexFunc(r.cams, func(c config.Camera) bool { return len(own[c.ID]) == 1 })
	if i < 0 {
		return nil
	}
	cams := slices.Clone(r.cams)
	cams[i].Name = "changed"
	t0 := time.Now()
	if err := r.apply(ctx, reg, cams); err != nil {
		return err
	}
	limit := time.Now().Add(time.Minute)
	for time.Now().Before(limit) {
		for _, e := range r.tr.eventsSince(t0) {
			if e.start && e.camera == cams[i].ID {
				r.res.ChangeToEffectS = round(e.at.Sub(t0).Seconds(), 2)
				r.cams = cams
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("bench: changed camera %s not restarted within a minute", cams[i].ID)
}
