package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/kafka"
	"github.com/patrol-city/patrol/internal/kafka/registry"
	"github.com/patrol-city/patrol/internal/pipeline"
	"github.com/patrol-city/patrol/internal/publisher/broker"
	"github.com/patrol-city/patrol/internal/worker"
	"github.com/patrol-city/patrol/internal/worker/metrics"
)

// setRunner is a CameraRunner that remembers what runs, how often each
// camera was started, and refuses a camera that runs, as the pipeline
// does.
type setRunner struct {
	mu     sync.Mutex
	ids    map[string]bool
	starts map[string]int
	dups   int
}

func (r *setRunner) AddCamera(c config.Camera) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ids[c.ID] {
		r.dups++
		return fmt.Errorf("%w: %s", pipeline.ErrCameraExists, c.ID)
	}
	r.ids[c.ID] = true
	if r.starts == nil {
		r.starts = map[string]int{}
	}
	r.starts[c.ID]++
	return nil
}

// counts returns how often id was started and the refused starts.
func (r *setRunner) counts(id string) (starts, dups int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.starts[id], r.dups
}

func (r *setRunner) RemoveCamera(id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.ids, id)
	return nil
}

func (r *setRunner) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.ids))
}

// TestFleetLabels: two fleet members on the test Kafka, one offering
// district a, the other district b; cameras requiring a run only on the
// first, those requiring b only on the second, those requiring nothing
// on either, and the one requiring district c, which no worker offers,
// runs nowhere and is in both workers' unplaced list (/healthz
// cluster.unplaced, patrol_fleet_unplaced_cameras; patrol cameras list
// computes the same placement).
func TestFleetLabels(t *testing.T) {
	t.Parallel()
	addr := os.Getenv("PATROL_TEST_KAFKA")
	if addr == "" {
		t.Skip("PATROL_TEST_KAFKA unset (make test sets it)")
	}
	run := fmt.Sprintf("test-fleet-labels-%d", rand.Uint32())
	conf := func(name, district string) *config.Config {
		cfg := &config.Config{Worker: name}
		cfg.Kafka.Brokers = []string{addr}
		cfg.Cluster = config.Cluster{Enabled: true, Group: run, RegistryTopic: run + ".cameras", CaseStateTopic: run + ".casestate",
			Partitions: 4, SessionTimeout: 6 * time.Second, HandoverDelay: 300 * time.Millisecond,
			Labels: map[string]string{"district": district}}
		cfg.ApplyDefaults()
		return cfg
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := conf("apply", "")
	reg, err := kafka.OpenTable(ctx, base, kafka.RegistryTopic(base), kafka.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	w, err := broker.NewWriter(broker.WriterConfig{Brokers: base.Kafka.Brokers, Topic: base.Cluster.RegistryTopic})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cam := func(id, district string) config.Camera {
		c := config.Camera{ID: id, URL: "rtsp://labels.invalid/" + id}
		if district != "" {
			c.Requires = map[string]string{"district": district}
		}
		config.ApplyCameraDefaults(&c)
		return c
	}
	cams := []config.Camera{cam("a1", "a"), cam("a2", "a"), cam("a3", "a"), cam("b1", "b"), cam("b2", "b"),
		cam("c1", "c"), cam("free1", ""), cam("free2", ""), cam("free3", "")}
	if err := base.ValidateCameras(cams); err != nil {
		t.Fatal(err)
	}
	if _, err := registry.Apply(ctx, reg, w, cams, false); err != nil {
		t.Fatal(err)
	}
	type member struct {
		m   *worker.FleetMember
		run *setRunner
	}
	var members []member
	var wg sync.WaitGroup
	mctx, stop := context.WithCancel(ctx)
	for _, d := range []string{"a", "b"} {
		r := &setRunner{ids: map[string]bool{}}
		m, err := worker.OpenFleetMember(ctx, conf("w-"+d, d), r, nil)
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, member{m, r})
		wg.Add(1)
		go func() { defer wg.Done(); m.Run(mctx, nil) }()
	}
	defer func() {
		stop()
		wg.Wait()
		for _, m := range members {
			m.m.Close()
		}
	}()
	wantOnly := [][]string{{"a1", "a2", "a3"}, {"b1", "b2"}}
	settled := func() (bool, string) {
		seen := map[string]int{}
		for i, m := range members {
			got := m.run.list()
			for _, id := range got {
				seen[id]++
				if id[0] != 'f' && !slices.Contains(wantOnly[i], id) {
					return false, fmt.Sprintf("w%d runs %s", i, id)
				}
			}
			for _, id := range wantOnly[i] {
				if !slices.Contains(got, id) {
					return false, fmt.Sprintf("w%d does not run %s: %v", i, id, got)
				}
			}
			if st := m.m.Status(); !slices.Equal(st.Unplaced, []string{"c1"}) || st.Members != 2 {
				return false, fmt.Sprintf("w%d status unplaced %v, members %d", i, st.Unplaced, st.Members)
			}
		}
		var ids []string
		for id, n := range seen {
			if n != 1 {
				return false, fmt.Sprintf("%s runs on %d workers", id, n)
			}
			ids = append(ids, id)
		}
		sort.Strings(ids)
		if !slices.Equal(ids, []string{"a1", "a2", "a3", "b1", "b2", "free1", "free2", "free3"}) {
			return false, fmt.Sprintf("running %v", ids)
		}
		return true, ""
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		ok, why := settled()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not placed by labels within 90 s: %s", why)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Nothing moves once placed: still so a little later.
	time.Sleep(time.Second)
	if ok, why := settled(); !ok {
		t.Fatalf("placement did not hold: %s", why)
	}
	// /healthz reports the camera no worker can take.
	ms, err := metrics.New(metrics.Config{Address: "127.0.0.1:0", Worker: "w-a"},
		metrics.Sources{Cameras: noCameras{}, Cluster: memberStatus{members[0].m}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	hctx, hstop := context.WithCancel(ctx)
	hdone := make(chan error, 1)
	go func() { hdone <- ms.Run(hctx) }()
	defer func() {
		hstop()
		if err := <-hdone; err != nil {
			t.Error(err)
		}
	}()
	<-ms.Ready()
	resp, err := http.Get("http://" + ms.Addr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var hz struct {
		Cluster struct {
			Unplaced []string `json:"unplaced"`
		} `json:"cluster"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&hz); err != nil || !slices.Equal(hz.Cluster.Unplaced, []string{"c1"}) {
		t.Fatalf("/healthz cluster.unplaced %v (%v), want [c1]", hz.Cluster.Unplaced, err)
	}
	// A changed camera restarts once on its worker, and is not started
	// again when the hand-over delay of the same reconciliation ends (it
	// was: the restarted camera was also taken for a new one, and the
	// pipeline refused it, "camera already runs").
	owner := members[0].run
	if !slices.Contains(owner.list(), "free1") {
		owner = members[1].run
	}
	cams[6].URL += "-moved"
	if _, err := registry.Apply(ctx, reg, w, cams, false); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if n, _ := owner.counts("free1"); n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("changed camera free1 not restarted within 30 s")
		}
	}
	time.Sleep(time.Second) // past the hand-over delay (300 ms)
	for i, m := range members {
		if n, dups := m.run.counts("free1"); dups != 0 || (m.run == owner && n != 2) {
			t.Errorf("w%d: free1 started %d times, %d starts of a running camera", i, n, dups)
		}
	}
}

// noCameras is a metrics source without cameras.
type noCameras struct{}

func (noCameras) Stats() map[string]pipeline.CameraStats { return nil }

// memberStatus reports a fleet member's share as /healthz does a worker's.
type memberStatus struct{ m *worker.FleetMember }

func (s memberStatus) ClusterStatus() metrics.ClusterStatus { return s.m.Status() }
