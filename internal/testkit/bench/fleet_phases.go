package bench

import (
	"context"
	"fmt"
	"slices"
	"syscall"
	"time"
)

// settleQuiet is how long the fleet must be quiet (no camera started or
// stopped, none waiting out the hand-over, one generation) to be settled.
const settleQuiet = 2 * time.Second

// settle waits until the live members agree on a generation, have no
// camera waiting to start, report fresh statuses and no camera started
// or stopped for settleQuiet; it returns the last start or stop since
// from (from when none).
func (r *fleetRun) settle(ctx context.Context, from time.Time, limit time.Duration) (time.Time, error) {
	deadline := time.Now().Add(limit)
	for {
		r.tr.mu.Lock()
		last := r.tr.lastEvent
		r.tr.mu.Unlock()
		now := time.Now()
		ok := now.Sub(last) >= settleQuiet && now.Sub(from) >= settleQuiet
		gen := int32(-1)
		for _, p := range r.procs {
			st, at, _ := p.snapshot()
			if gen < 0 {
				gen = st.Generation
			}
			if st.Assignments == 0 || st.Starting > 0 || st.Generation != gen || now.Sub(at) > time.Second || !at.After(last) {
				ok = false
			}
		}
		if ok {
			if last.Before(from) {
				return from, nil
			}
			return last, nil
		}
		if now.After(deadline) {
			return last, fmt.Errorf("bench: fleet not settled within %v", limit)
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// generation is the highest generation a live member reports.
func (r *fleetRun) generation() int32 {
	g := int32(0)
	for _, p := range r.procs {
		st, _, _ := p.snapshot()
		g = max(g, st.Generation)
	}
	return g
}

// moved counts the cameras whose workers differ between two snapshots.
func (r *fleetRun) moved(before, after map[string][]string) int {
	n := 0
	for _, c := range r.cams {
		b, a := slices.Clone(before[c.ID]), slices.Clone(after[c.ID])
		slices.Sort(b)
		slices.Sort(a)
		if !slices.Equal(a, b) {
			n++
		}
	}
	return n
}

// keptRestarts counts the stops since from of a camera that the same
// member process started again afterwards (kept, yet restarted).
func (r *fleetRun) keptRestarts(from time.Time) int {
	ev := r.tr.eventsSince(from)
	n := 0
	for i, e := range ev {
		if e.start {
			continue
		}
		for _, later := range ev[i+1:] {
			if later.start && later.proc == e.proc && later.camera == e.camera {
				n++
				break
			}
		}
	}
	return n
}

// killOne kills the first worker with SIGKILL (no LeaveGroup: the group
// notices after session_timeout), times the take-over, then starts it
// again and waits for the fleet to settle.
func (r *fleetRun) killOne(ctx context.Context) error {
	victim := r.procs[r.names[0]]
	before := r.tr.owned()
	victim.mu.Lock()
	var lost []string
	for c := range victim.running {
		lost = append(lost, c)
	}
	victim.mu.Unlock()
	r.res.LostWorkerCameras = len(lost)
	gen := r.generation()
	t0 := time.Now()
	if err := victim.kill(syscall.SIGKILL, 10*time.Second); err != nil {
		return err
	}
	delete(r.procs, victim.name)
	// The group ends the generation after the session timeout.
	deadline := time.Now().Add(2 * time.Minute)
	for r.generation() <= gen && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	if _, err := r.settle(ctx, time.Now(), 2*time.Minute); err != nil {
		return err
	}
	after := r.tr.owned()
	r.res.MovedAfterKill = r.moved(before, after)
	r.res.UnwatchedAfterKill, _ = r.coverage(after)
	var last time.Time
	for _, e := range r.tr.eventsSince(t0) {
		if e.start && e.at.After(last) {
			last = e.at
		}
	}
	if !last.IsZero() {
		r.res.KillToStreamingS = round(last.Sub(t0).Seconds(), 2)
	}
	r.res.RestartsOfKeptCameras += r.keptRestarts(t0)
	r.log.Info("worker killed", "lost", len(lost), "moved", r.res.MovedAfterKill, "s", r.res.KillToStreamingS)
	// The worker comes back (its pod restarted).
	t1 := time.Now()
	if err := r.start(victim.name); err != nil {
		return err
	}
	if err := r.waitReady(ctx, r.procs[victim.name]); err != nil {
		return err
	}
	if _, err := r.settle(ctx, time.Now(), 2*time.Minute); err != nil {
		return err
	}
	r.res.MovedAfterRejoin = r.moved(after, r.tr.owned())
	r.res.RestartsOfKeptCameras += r.keptRestarts(t1)
	return nil
}

// rolling stops every worker with SIGTERM and starts it again, one at a
// time, the next once the new one has its first assignment (a
// StatefulSet's rollout with a readiness probe), and measures the gaps.
func (r *fleetRun) rolling(ctx context.Context) error {
	t0 := time.Now()
	r.tr.startGaps()
	starts := 0
	for _, n := range r.names {
		if err := r.procs[n].kill(syscall.SIGTERM, 30*time.Second); err != nil {
			return err
		}
		delete(r.procs, n)
		if err := r.start(n); err != nil {
			return err
		}
		if err := r.waitReady(ctx, r.procs[n]); err != nil {
			return err
		}
	}
	last, err := r.settle(ctx, time.Now(), 3*time.Minute)
	if err != nil {
		return err
	}
	r.tr.closeGaps(time.Now())
	for _, e := range r.tr.eventsSince(t0) {
		if e.start {
			starts++
		}
	}
	r.tr.mu.Lock()
	r.res.RollingRestartMaxGapS = round(r.tr.maxGap.Seconds(), 2)
	r.res.RollingRestartCameraSeconds = round(r.tr.gapSum.Seconds(), 1)
	r.tr.mu.Unlock()
	r.res.RollingRestartMovesPerCamera = round(float64(starts)/float64(len(r.cams)), 2)
	r.res.RollingRestartS = round(last.Sub(t0).Seconds(), 1)
	r.res.UnwatchedAfterRolling, _ = r.coverage(r.tr.owned())
	r.res.RestartsOfKeptCameras += r.keptRestarts(t0)
	r.log.Info("rolling restart", "max_gap_s", r.res.RollingRestartMaxGapS, "moves_per_camera", r.res.RollingRestartMovesPerCamera)
	return nil
}
