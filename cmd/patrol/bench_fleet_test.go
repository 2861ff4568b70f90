package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/testkit/bench"
)

// TestBenchFleet runs `patrol bench fleet` small: 6 member processes
// (this test binary as `patrol bench fleet-member`) and 300 stand-in
// cameras on the test Kafka, 48 registry partitions, max_cameras 96
// (room for 576). Every camera runs on exactly one worker, none over
// max_cameras, none reported unplaced; a SIGKILL moves exactly the killed
// worker's cameras and leaves none unwatched; its rejoin moves only its
// even share back (50); no camera kept by its worker restarts; the
// rolling restart of the 6 leaves no camera unwatched longer than
// session_timeout + 10 s, nor at its end.
func TestBenchFleet(t *testing.T) {
	t.Parallel()
	addr := os.Getenv("PATROL_TEST_KAFKA")
	if addr == "" {
		t.Skip("PATROL_TEST_KAFKA unset (make test sets it)")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	fleetMemberExec = func() (string, []string, []string, error) {
		return exe, []string{"bench", "fleet-member"}, append(os.Environ(), "PATROL_TEST_MAIN=1"), nil
	}
	const session = 6 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	res, err := runFleetBench(ctx, bench.FleetConfig{
		Brokers: []string{addr}, Run: fmt.Sprintf("test-bench-fleet-%d", time.Now().UnixNano()),
		Workers: 6, Cameras: 300, MaxCameras: 96, Partitions: 48, SessionTimeout: session,
	})
	var table strings.Builder
	_ = res.WriteTable(&table)
	t.Logf("\n%s", table.String())
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what string
		ok   bool
	}{
		{"every camera watched", res.Unwatched == 0},
		{"no camera run twice", res.Duplicated == 0},
		{"no worker over max_cameras", res.OverMax == 0 && res.PerWorkerMax <= 96},
		{"a camera change takes effect", res.ChangeToEffectS > 0},
		{"the killed worker had cameras", res.LostWorkerCameras > 0},
		{"nothing reported unplaced", res.Unplaced == 0},
		{"its cameras moved, only they", res.MovedAfterKill == res.LostWorkerCameras},
		{"the rejoin takes back its share only", res.MovedAfterRejoin == 300/6},
		{"no kept camera restarted", res.RestartsOfKeptCameras == 0},
		{"none unwatched after the kill", res.UnwatchedAfterKill == 0},
		{"none unwatched after the rolling restart", res.UnwatchedAfterRolling == 0},
		{"rolling restart gap within session_timeout + 10 s", res.RollingRestartMaxGapS <= (session + 10*time.Second).Seconds()},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: not so (%+v)", c.what, res)
		}
	}
}
