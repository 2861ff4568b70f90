package config

import "time"

// Defaults of the cluster section.
const (
	DefaultClusterGroup      = "patrol-workers"
	DefaultRegistryTopic     = "patrol.cameras.v1"
	DefaultCaseStateTopic    = "patrol.casestate.v1"
	DefaultClusterPartitions = 48
)

// Cluster makes the worker one of a fleet that shares the cameras of the
// camera registry (docs/deploy.md). Off by default: the worker then runs
// the cameras of its own file.
type Cluster struct {
	// Enabled joins the fleet: the worker's cameras are those of the
	// registry that the fleet's placement over the consumer group's live
	// members gives it, and
	// cameras: must be empty (default false).
	Enabled bool `yaml:"enabled"`
	// Group is the Kafka consumer group of the fleet (default
	// "patrol-workers").
	Group string `yaml:"group"`
	// RegistryTopic is the compacted topic of the cameras, key = camera id
	// (default "patrol.cameras.v1").
	RegistryTopic string `yaml:"registry_topic"`
	// CaseStateTopic is the compacted topic of the open cases of each
	// camera, key = camera id (default "patrol.casestate.v1").
	CaseStateTopic string `yaml:"casestate_topic"`
	// Partitions of the registry and case-state topics when patrol creates
	// them (default 48). Cameras, not partitions, are shared among the
	// workers, so any number of workers can share them.
	Partitions int `yaml:"partitions"`
	// MaxCameras is the most cameras this worker takes (default 0: no
	// limit); the placement gives the rest to others, and reports the
	// cameras no worker has room for (unplaced).
	MaxCameras int `yaml:"max_cameras"`
	// SessionTimeout is how long a silent worker keeps its cameras before
	// the group hands them to the others (default 10s).
	SessionTimeout time.Duration `yaml:"session_timeout"`
	// HeartbeatInterval is how often a worker tells the group it lives
	// (default 1s; below a third of session_timeout).
	HeartbeatInterval time.Duration `yaml:"heartbeat_interval"`
	// RebalanceTimeout bounds a rebalance: how long the group waits for
	// every worker to rejoin (default 10s).
	RebalanceTimeout time.Duration `yaml:"rebalance_timeout"`
	// Labels are the placement labels this worker offers, e.g. district:
	// 高新区, gpu: "true" (default none); a camera that requires labels
	// runs only on a worker offering all of them.
	Labels map[string]string `yaml:"labels"`
	// HandoverDelay is how long a worker waits before it starts a camera
	// it was just given, so that the previous owner has stopped it (default
	// 2s; a camera's stop takes well under a second).
	HandoverDelay time.Duration `yaml:"handover_delay"`
	// CameraCADir is the only directory a registry record's tls_ca_file
	// may name (default "": none may). The registry is Kafka input: a
	// record may not make a worker read any file it can reach.
	CameraCADir string `yaml:"camera_ca_dir"`
}

func (c *Cluster) applyDefaults() {
	if c.Group == "" {
		c.Group = DefaultClusterGroup
	}
	if c.RegistryTopic == "" {
		c.RegistryTopic = DefaultRegistryTopic
	}
	if c.CaseStateTopic == "" {
		c.CaseStateTopic = DefaultCaseStateTopic
	}
	if c.Partitions == 0 {
		c.Partitions = DefaultClusterPartitions
	}
	setDur(&c.SessionTimeout, 10*time.Second)
	setDur(&c.HeartbeatInterval, time.Second)
	setDur(&c.RebalanceTimeout, 10*time.Second)
	setDur(&c.HandoverDelay, 2*time.Second)
}

func (c *Cluster) validate(fe *fieldErrors, cameras int) {
	if !c.Enabled {
		return
	}
	if cameras > 0 {
		fe.add("cameras", "must be empty with cluster.enabled: the cameras come from the registry (patrol cameras apply)")
	}
	if c.Partitions < 1 || c.Partitions > 10000 {
		fe.add("cluster.partitions", "must be between 1 and 10000")
	}
	if c.MaxCameras < 0 {
		fe.add("cluster.max_cameras", "must not be negative (0: no limit)")
	}
	validateLabels(fe, "cluster.labels", c.Labels)
	if c.HeartbeatInterval*3 > c.SessionTimeout {
		fe.add("cluster.heartbeat_interval", "must be at most a third of session_timeout")
	}
	if c.SessionTimeout < 2*time.Second {
		fe.add("cluster.session_timeout", "must be at least 2s")
	}
}
