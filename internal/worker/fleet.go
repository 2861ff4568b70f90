package worker

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/kafka"
	"github.com/patrol-city/patrol/internal/kafka/ktable"
	"github.com/patrol-city/patrol/internal/publisher/broker"
	"github.com/patrol-city/patrol/internal/worker/cluster"
	"github.com/patrol-city/patrol/internal/worker/metrics"
)

// tableTimeout bounds reading a fleet topic to its end at start-up.
const tableTimeout = 60 * time.Second

// fleet runs this worker's share of the registry's cameras: the group
// (cluster.Member) tells the live members and what each runs and can
// take, and every member places the registry's cameras over them the
// same way (cluster.Place); the cameras placed here are started and
// stopped in the pipeline as either changes. A camera given by a rebalance starts after
// cluster.handover_delay, so that its previous owner has stopped it; a
// changed camera restarts at once; the open cases of a camera come from
// the case-state topic, where every owner writes them.
type fleet struct {
	cfg      *config.Config
	log      *slog.Logger
	pipe     CameraRunner
	registry *kafka.Table
	state    *kafka.Table
	stateW   *broker.Writer
	member   *cluster.Member
	kick     chan struct{}

	mu       sync.Mutex
	assigned map[int]bool
	members  []cluster.MemberInfo // the generation's members (nil: none known)
	ended    <-chan struct{}      // closed when the generation of members ended
	starting []string             // placed here, waiting for the hand-over delay
	owners   cluster.Placement    // the last placement desired computed
	running  map[string][]byte    // camera id -> registry record running
	// needs caches each registry record's placement labels by its bytes,
	// so that a change decodes only the changed records (reconcile's
	// goroutine only).
	needs   map[string]recordNeeds
	status  metrics.ClusterStatus
	invalid map[string]string // camera id -> why its record is refused
}

// newFleet opens the fleet's topics; the pipeline is attached later
// (it needs the case state).
func newFleet(ctx context.Context, cfg *config.Config, log *slog.Logger) (f *fleet, err error) {
	f = &fleet{cfg: cfg, log: log, kick: make(chan struct{}, 1), assigned: map[int]bool{},
		running: map[string][]byte{}, invalid: map[string]string{}, needs: map[string]recordNeeds{}}
	defer func() {
		if err != nil {
			f.close()
		}
	}()
	cl := cfg.Cluster
	if f.registry, err = kafka.OpenTable(ctx, cfg, kafka.RegistryTopic(cfg), kafka.TableOptions{Timeout: tableTimeout, Logger: log, OnChange: func(ktable.Entry) { f.poke() }}); err != nil {
		return nil, fmt.Errorf("cluster: registry %s: %w", cl.RegistryTopic, err)
	}
	if f.state, err = kafka.OpenTable(ctx, cfg, kafka.CaseStateTopic(cfg), kafka.TableOptions{Timeout: tableTimeout, Logger: log}); err != nil {
		return nil, fmt.Errorf("cluster: case state %s: %w", cl.CaseStateTopic, err)
	}
	sec, err := kafka.SecurityFor(cfg.Kafka)
	if err != nil {
		return nil, err
	}
	if f.stateW, err = broker.NewWriter(broker.WriterConfig{Brokers: cfg.Kafka.Brokers, Topic: cl.CaseStateTopic, Security: sec}); err != nil {
		return nil, err
	}
	f.member, err = cluster.New(cluster.Config{
		Brokers: cfg.Kafka.Brokers, Group: cl.Group, Topic: cl.RegistryTopic, Worker: cfg.Worker,
		MaxCameras: cl.MaxCameras, Labels: cl.Labels, SessionTimeout: cl.SessionTimeout, HeartbeatInterval: cl.HeartbeatInterval,
		RebalanceTimeout: cl.RebalanceTimeout, Dialer: sec.Dialer(),
	}, cluster.Deps{Logger: log, Weight: f.weight, OnAssign: f.onAssign, Running: f.runningIDs})
	if err != nil {
		return nil, err
	}
	f.status.Group = cl.Group
	return f, nil
}

// Load implements pipeline.CaseState from the case-state topic.
func (f *fleet) Load(camera string) ([]byte, bool) {
	e, ok := f.state.Get(camera)
	return e.Value, ok
}

// Store implements pipeline.CaseState: the camera's open cases on the
// case-state topic (acks all), within 10 s.
func (f *fleet) Store(camera string, data []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return f.stateW.WriteCase(ctx, camera, data)
}

// ClusterStatus implements metrics.ClusterSource.
func (f *fleet) ClusterStatus() metrics.ClusterStatus {
	st := f.member.Stats()
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.status
	out.Generation, out.Assignments, out.Partitions = st.Generation, st.Assignments, st.Partitions
	out.Starting = slices.Clone(out.Starting)
	out.OverCapacity = slices.Clone(out.OverCapacity)
	out.Unplaced = slices.Clone(f.owners.Unplaced)
	out.Members = len(f.members)
	for id := range f.invalid {
		out.Invalid = append(out.Invalid, id)
	}
	sort.Strings(out.Invalid)
	return out
}

func (f *fleet) poke() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// weight is the cameras of a registry partition (the balancer's weight).
func (f *fleet) weight(p int) int {
	n := 0
	for _, e := range f.registry.All() {
		if int(e.Partition) == p {
			n++
		}
	}
	return n
}

// onAssign takes a new generation: its members place the cameras (a
// generation the group could not describe keeps the last members; a lost
// group, none).
func (f *fleet) onAssign(a cluster.Assignment) {
	f.mu.Lock()
	f.assigned = map[int]bool{}
	for _, p := range a.Partitions {
		f.assigned[p] = true
	}
	switch {
	case a.Generation < 0:
		f.members, f.ended = nil, nil
	case a.Members != nil:
		f.members, f.ended = a.Members, a.Ended
	}
	f.mu.Unlock()
	f.poke()
}

// runningIDs are the cameras running or about to start here (placed
// here, in the hand-over delay), told to the group on every join: a
// camera a rebalance interrupts on its way in stays here rather than
// being placed anew elsewhere while this worker starts it.
func (f *fleet) runningIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := make([]string, 0, len(f.running)+len(f.starting))
	for id := range f.running {
		ids = append(ids, id)
	}
	for _, id := range f.starting {
		if _, ok := f.running[id]; !ok {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// generationEnded reports whether the generation whose members placed
// the cameras has ended (a rebalance is under way): its placement may
// no longer be the fleet's.
func (f *fleet) generationEnded() bool {
	f.mu.Lock()
	ended := f.ended
	f.mu.Unlock()
	if ended == nil {
		return false
	}
	select {
	case <-ended:
		return true
	default:
		return false
	}
}

// run keeps the pipeline's cameras equal to the worker's share until ctx
// ends; the membership runs until leave.
func (f *fleet) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.kick:
		}
		// Let a burst of registry messages settle.
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
		f.reconcile(ctx)
	}
}

// join runs the reconciliation and the group membership until ctx ends.
// The returned function waits for the reconciliation to end, then leaves
// the group (the caller stops its cameras in between, as a stopping
// worker hands them over) and waits for the membership to end.
func (f *fleet) join(ctx context.Context) (reconciled <-chan struct{}, leave func()) {
	done := make(chan struct{})
	go func() { defer close(done); f.run(ctx) }()
	mctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	left := make(chan struct{})
	go func() {
		defer close(left)
		if err := f.member.Run(mctx); err != nil {
			f.log.Error("fleet membership ended", "err", err)
		}
	}()
	return done, func() {
		<-done
		stop()
		<-left
	}
}
