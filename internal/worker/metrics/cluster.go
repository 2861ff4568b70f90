package metrics

import "github.com/prometheus/client_golang/prometheus"

// ClusterStatus is a fleet worker's share of the cameras, in /healthz
// ("cluster") and in the patrol_fleet_* metrics.
type ClusterStatus struct {
	// Group is the fleet's consumer group.
	Group string `json:"group"`
	// Generation is the group generation of the current assignment.
	Generation int32 `json:"generation"`
	// Partitions are the registry partitions this worker holds.
	Partitions []int `json:"partitions"`
	// Assignments counts the assignments received since start.
	Assignments int64 `json:"assignments"`
	// Starting are owned cameras waiting out the hand-over delay.
	Starting []string `json:"starting,omitempty"`
	// OverCapacity are owned cameras not run because of max_cameras.
	OverCapacity []string `json:"over_capacity,omitempty"`
	// Invalid are owned cameras whose registry record is refused.
	Invalid []string `json:"invalid,omitempty"`
	// Members counts the fleet's live workers (the last generation).
	Members int `json:"members"`
	// Unplaced are the fleet's cameras that no worker can take (none
	// has room under its max_cameras, or none offers its labels); every
	// worker reports the same.
	Unplaced []string `json:"unplaced,omitempty"`
}

// ClusterSource reports a fleet worker's share; *worker.Worker's fleet
// implements it.
type ClusterSource interface {
	ClusterStatus() ClusterStatus
}

var (
	dFleetPartitions = prometheus.NewDesc("patrol_fleet_partitions",
		"Registry partitions this worker holds.", []string{"worker"}, nil)
	dFleetAssignments = prometheus.NewDesc("patrol_fleet_assignments_total",
		"Assignments (rebalances) this worker received.", []string{"worker"}, nil)
	dFleetCameras = prometheus.NewDesc("patrol_fleet_cameras",
		"Cameras this worker owns, by state (running, starting, over_capacity, invalid).", []string{"worker", "state"}, nil)
	dFleetUnplaced = prometheus.NewDesc("patrol_fleet_unplaced_cameras",
		"The fleet's cameras that no worker has room for or offers the labels of (every worker reports the same).", []string{"worker"}, nil)
	dFleetMembers = prometheus.NewDesc("patrol_fleet_members",
		"The fleet's live workers in the last group generation.", []string{"worker"}, nil)
)

func (c *collector) collectCluster(ch chan<- prometheus.Metric, cams int) {
	if c.cluster == nil {
		return
	}
	st := c.cluster.ClusterStatus()
	ch <- prometheus.MustNewConstMetric(dFleetPartitions, prometheus.GaugeValue, float64(len(st.Partitions)), c.worker)
	ch <- prometheus.MustNewConstMetric(dFleetAssignments, prometheus.CounterValue, float64(st.Assignments), c.worker)
	ch <- prometheus.MustNewConstMetric(dFleetUnplaced, prometheus.GaugeValue, float64(len(st.Unplaced)), c.worker)
	ch <- prometheus.MustNewConstMetric(dFleetMembers, prometheus.GaugeValue, float64(st.Members), c.worker)
	for state, n := range map[string]int{"running": cams, "starting": len(st.Starting),
		"over_capacity": len(st.OverCapacity), "invalid": len(st.Invalid)} {
		ch <- prometheus.MustNewConstMetric(dFleetCameras, prometheus.GaugeValue, float64(n), c.worker, state)
	}
}
