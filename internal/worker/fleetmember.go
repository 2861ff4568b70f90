package worker

import (
	"context"
	"log/slog"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/worker/metrics"
)

// CameraRunner starts and stops the cameras a fleet member runs. A worker's
// is its *pipeline.Pipeline (ingest, detection, cases).
type CameraRunner interface {
	// AddCamera starts cam; RemoveCamera stops the camera id.
	AddCamera(cam config.Camera) error
	RemoveCamera(id string) error
}

// FleetMember is a worker's control plane in a fleet without the rest of
// the worker: the registry and case-state tables, the group membership
// and the reconciliation that starts and stops cameras, exactly as a
// worker with cluster.enabled runs them, with the cameras handed to a
// CameraRunner of the caller's. `patrol bench fleet` runs many of them
// with a stand-in runner (no RTSP, no detector) to measure the fleet's
// control plane at a city's size; no configuration selects it, `patrol
// run` always runs the pipeline.
type FleetMember struct {
	f *fleet
}

// OpenFleetMember reads the registry and case-state topics of cfg's
// cluster section to their ends (within a minute) and prepares the
// membership; it joins nothing (Run does). cfg must have defaults applied.
func OpenFleetMember(ctx context.Context, cfg *config.Config, cams CameraRunner, log *slog.Logger) (*FleetMember, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f, err := newFleet(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	f.pipe = cams
	return &FleetMember{f: f}, nil
}

// Run joins the group and keeps the runner's cameras equal to this
// member's share until ctx ends; then, as a stopping worker does, it
// calls stopped (the caller stops its cameras there) and only then
// leaves the group, and returns.
func (m *FleetMember) Run(ctx context.Context, stopped func()) {
	reconciled, leave := m.f.join(ctx)
	<-reconciled
	if stopped != nil {
		stopped()
	}
	leave()
}

// Status is what the member's /healthz would report of the fleet.
func (m *FleetMember) Status() metrics.ClusterStatus { return m.f.ClusterStatus() }

// Close releases the member's Kafka clients (after Run has returned).
func (m *FleetMember) Close() { m.f.close() }
