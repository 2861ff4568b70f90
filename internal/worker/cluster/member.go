// Package cluster makes a worker a member of the fleet's Kafka consumer
// group on the camera registry topic: the group's coordinator tracks which
// workers live (heartbeats, session timeout). Each worker tells the group,
// on every join, its name, max_cameras and the cameras it runs (the
// JoinGroup user data); after each generation every member describes the
// group (DescribeGroups) and places the registry's cameras over the live
// members with Place, the same on every member: no leader decides, and a
// camera is the unit of assignment, not a partition. The group's leader
// still shares the registry's partitions (the consumer-group protocol
// needs an assignment; assign), which no longer decide the cameras. It
// uses kafka-go's ConsumerGroup for the membership only: the worker reads
// the registry itself (worker/ktable). kafka-go suffices: the members'
// user data reach every member through DescribeGroups. It builds with
// CGO_ENABLED=0.
package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
)

// Config is the membership of one worker.
type Config struct {
	// Brokers are host:port addresses (required).
	Brokers []string
	// Group is the consumer group id (required).
	Group string
	// Topic is the registry topic whose partitions are shared (required).
	Topic string
	// Worker names this worker to the others (required).
	Worker string
	// MaxCameras is this worker's capacity (0: no limit).
	MaxCameras int
	// Labels are the placement labels this worker offers (default none).
	Labels map[string]string
	// SessionTimeout, HeartbeatInterval and RebalanceTimeout are the
	// group's timings (defaults 10s, 1s, 10s).
	SessionTimeout, HeartbeatInterval, RebalanceTimeout time.Duration
	// Dialer carries TLS and SASL (default: plaintext).
	Dialer *kafka.Dialer
}

// Assignment is what the group gave this worker: the generation, its
// registry partitions, and the generation's members as the group
// describes them (nil when the group could not be described stable; the
// next generation follows). The fleet places cameras over Members (Place).
type Assignment struct {
	Generation int32
	Partitions []int
	Members    []MemberInfo
	// Ended is closed when the generation ends (a rebalance began, the
	// group was lost or the member left); nil for a lost group. A worker
	// starts no camera from a placement whose generation has ended: the
	// others may already place it anew.
	Ended <-chan struct{}
}

// Deps are the member's collaborators.
type Deps struct {
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
	// Weight returns the cameras of a registry partition, as this worker
	// knows them; the group's leader balances by it (required).
	Weight func(partition int) int
	// OnAssign is told about every new assignment, from Run's goroutine
	// (required).
	OnAssign func(Assignment)
	// Now is the clock that times a lost group (default time.Now).
	Now func() time.Time
	// Running returns the cameras the worker runs, told to the group on
	// every join so that the others leave them where they are (default:
	// none).
	Running func() []string
}

// Member is a worker's membership in the fleet's group.
type Member struct {
	cfg    Config
	deps   Deps
	client *kafka.Client // describes the group

	mu    sync.Mutex
	owned []int

	generations atomic.Int64
	unassigned  atomic.Int64
	generation  atomic.Int32
}

// ErrConfig is wrapped by New's errors.
var ErrConfig = errors.New("cluster: invalid configuration")

// New checks the configuration; it does not connect (Run does).
func New(cfg Config, deps Deps) (*Member, error) {
	if len(cfg.Brokers) == 0 || cfg.Group == "" || cfg.Topic == "" || cfg.Worker == "" {
		return nil, fmt.Errorf("%w: brokers, group, topic and worker required", ErrConfig)
	}
	if deps.Weight == nil || deps.OnAssign == nil {
		return nil, fmt.Errorf("%w: Weight and OnAssign required", ErrConfig)
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Running == nil {
		deps.Running = func() []string { return nil }
	}
	if cfg.SessionTimeout == 0 {
		cfg.SessionTimeout = 10 * time.Second
	}
	if cfg.HeartbeatInterval == 0 {
		cfg.HeartbeatInterval = time.Second
	}
	if cfg.RebalanceTimeout == 0 {
		cfg.RebalanceTimeout = 10 * time.Second
	}
	return &Member{cfg: cfg, deps: deps, client: NewClient(cfg.Brokers, cfg.Dialer)}, nil
}

// Run joins the group and reports each assignment until ctx ends, then
// leaves the group (the others take the partitions over at once).
func (m *Member) Run(ctx context.Context) error {
	cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID:                m.cfg.Group,
		Brokers:           m.cfg.Brokers,
		Dialer:            m.cfg.Dialer,
		Topics:            []string{m.cfg.Topic},
		GroupBalancers:    []kafka.GroupBalancer{balancer{m}},
		HeartbeatInterval: m.cfg.HeartbeatInterval,
		SessionTimeout:    m.cfg.SessionTimeout,
		RebalanceTimeout:  m.cfg.RebalanceTimeout,
		JoinGroupBackoff:  time.Second,
		// A partition added to the registry topic rebalances the group.
		WatchPartitionChanges:  true,
		PartitionWatchInterval: 10 * time.Second,
		Timeout:                5 * time.Second,
		ErrorLogger:            kafka.LoggerFunc(func(msg string, args ...any) { m.deps.Logger.Debug("group: " + fmt.Sprintf(msg, args...)) }),
	})
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	defer cg.Close() // leaves the group
	var lostSince time.Time
	released := false
	for {
		gen, err := cg.Next(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			// The group retries on its own (JoinGroupBackoff); cameras
			// keep running meanwhile, until the others may have taken
			// them over: a worker that cannot rejoin for a session
			// timeout releases its cameras, so that no camera is pulled
			// twice for much longer than that.
			m.deps.Logger.Warn("fleet group", "group", m.cfg.Group, "err", err)
			if lostSince.IsZero() {
				lostSince = m.deps.Now()
			}
			if !released && m.deps.Now().Sub(lostSince) >= m.cfg.SessionTimeout {
				released = true
				m.mu.Lock()
				m.owned = nil
				m.mu.Unlock()
				m.deps.Logger.Error("fleet group lost: cameras released until the worker rejoins", "group", m.cfg.Group, "for", m.deps.Now().Sub(lostSince).Round(time.Second))
				m.deps.OnAssign(Assignment{Generation: -1})
			}
			continue
		}
		lostSince, released = time.Time{}, false
		ended := make(chan struct{})
		// The group ends the generation for every member within a
		// heartbeat of a rebalance starting; kafka-go rejoins once this
		// function has returned.
		gen.Start(func(gctx context.Context) {
			<-gctx.Done()
			close(ended)
		})
		var parts []int
		for _, pa := range gen.Assignments[m.cfg.Topic] {
			parts = append(parts, pa.ID)
		}
		slices.Sort(parts)
		m.mu.Lock()
		m.owned = parts
		m.mu.Unlock()
		m.generations.Add(1)
		m.generation.Store(gen.ID)
		members := m.describe(ctx, ended)
		m.deps.Logger.Info("fleet assignment", "generation", gen.ID, "partitions", len(parts), "members", len(members))
		m.deps.OnAssign(Assignment{Generation: gen.ID, Partitions: parts, Members: members, Ended: ended})
	}
}

// Stats are the member's counters.
type Stats struct {
	// Generation is the group generation of the current assignment.
	Generation int32
	// Assignments counts the assignments received (rebalances).
	Assignments int64
	// Partitions are the partitions held.
	Partitions []int
	// Unassigned counts the partitions the last assignment led by this
	// worker could not place (the fleet over capacity).
	Unassigned int64
}

// Stats returns the member's counters.
func (m *Member) Stats() Stats {
	m.mu.Lock()
	parts := slices.Clone(m.owned)
	m.mu.Unlock()
	return Stats{Generation: m.generation.Load(), Assignments: m.generations.Load(), Partitions: parts, Unassigned: m.unassigned.Load()}
}

// balancer is the group protocol "patrol-sticky": see assign.
type balancer struct{ m *Member }

func (balancer) ProtocolName() string { return "patrol-sticky" }

func (b balancer) UserData() ([]byte, error) {
	b.m.mu.Lock()
	defer b.m.mu.Unlock()
	return json.Marshal(memberData{Worker: b.m.cfg.Worker, MaxCameras: b.m.cfg.MaxCameras, Owned: b.m.owned,
		Running: b.m.deps.Running(), Labels: b.m.cfg.Labels})
}

func (b balancer) AssignGroups(members []kafka.GroupMember, partitions []kafka.Partition) kafka.GroupMemberAssignments {
	ids := make([]string, 0, len(members))
	data := map[string][]byte{}
	for _, gm := range members {
		ids = append(ids, gm.ID)
		data[gm.ID] = gm.UserData
	}
	var parts []int
	for _, p := range partitions {
		if p.Topic == b.m.cfg.Topic {
			parts = append(parts, p.ID)
		}
	}
	got, unassigned := assign(ids, data, parts, b.m.deps.Weight)
	b.m.unassigned.Store(int64(len(unassigned)))
	if len(unassigned) > 0 {
		b.m.deps.Logger.Debug("partitions without a worker", "partitions", unassigned)
	}
	out := kafka.GroupMemberAssignments{}
	for id, ps := range got {
		out[id] = map[string][]int{b.m.cfg.Topic: ps}
	}
	return out
}
