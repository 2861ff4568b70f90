package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/testkit/bench"
	"github.com/patrol-city/patrol/internal/worker"
)

// standIn is the camera runner of a bench fleet member: a camera "streams"
// from AddCamera to RemoveCamera, each told to the bench on stdout. It
// replaces the camera's whole pipeline (RTSP session, decoding,
// detection), which the fleet's control plane does not depend on.
type standIn struct {
	mu      sync.Mutex
	out     *bufio.Writer
	running map[string]bool
}

func (s *standIn) line(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.out, format+"\n", args...)
	_ = s.out.Flush()
}

func (s *standIn) AddCamera(cam config.Camera) error {
	s.mu.Lock()
	s.running[cam.ID] = true
	s.mu.Unlock()
	s.line("%s %s %d", bench.FleetStart, cam.ID, time.Now().UnixNano())
	return nil
}

func (s *standIn) RemoveCamera(id string) error {
	s.mu.Lock()
	delete(s.running, id)
	s.mu.Unlock()
	s.line("%s %s %d", bench.FleetStop, id, time.Now().UnixNano())
	return nil
}

func (s *standIn) stopAll() {
	s.mu.Lock()
	var ids []string
	for id := range s.running {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	for _, id := range ids {
		_ = s.RemoveCamera(id)
	}
}

func (s *standIn) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.running)
}

// cmdFleetMember is the hidden process "bench fleet-member" that "bench
// fleet" starts per worker: a worker's fleet control plane
// (worker.FleetMember: registry, case state, group, reconciliation) with
// the stand-in cameras, until SIGTERM (stops its cameras, leaves the
// group) or SIGKILL (leaves nothing). It prints the lines of
// bench.FleetMemberLine on stdout.
func cmdFleetMember(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench fleet-member", flag.ContinueOnError)
	brokers := fs.String("brokers", "", "Kafka brokers, comma-separated")
	run := fs.String("run", "", "the run's group and topic prefix")
	name := fs.String("worker", "", "worker name")
	maxCams := fs.Int("max-cameras", 0, "cluster.max_cameras")
	parts := fs.Int("partitions", 0, "cluster.partitions")
	session := fs.Duration("session-timeout", 0, "cluster.session_timeout")
	handover := fs.Duration("handover-delay", 0, "cluster.handover_delay")
	level := fs.String("log-level", "warn", "log level")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := bench.FleetWorkerConfig(strings.Split(*brokers, ","), *run, *name, *maxCams, *parts, *session, *handover)
	s := &standIn{out: bufio.NewWriter(os.Stdout), running: map[string]bool{}}
	m, err := worker.OpenFleetMember(ctx, cfg, s, newLogger(*level))
	if err != nil {
		return err
	}
	defer m.Close()
	s.line("%s", bench.FleetReady)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		var heap uint64
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if i%20 == 0 { // every 5 s: the live heap after a collection
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				heap = ms.HeapAlloc
			}
			st := m.Status()
			b, _ := json.Marshal(bench.FleetMemberStatus{Generation: st.Generation, Assignments: st.Assignments,
				Starting: len(st.Starting), OverCapacity: len(st.OverCapacity), Unplaced: len(st.Unplaced), Running: s.count(), HeapBytes: heap})
			s.line("%s %s", bench.FleetStatus, b)
		}
	}()
	m.Run(ctx, s.stopAll)
	<-done
	return nil
}
