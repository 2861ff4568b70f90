// Package config loads and validates a patrol worker's YAML configuration:
// its cameras with their zones, the rules, the model, Kafka and the evidence
// store. Secrets may be written as ${VAR} and are taken from the environment.
package config

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"gopkg.in/yaml.v3"
)

// Defaults applied by Load when a field is left empty.
const (
	DefaultCasesTopic  = "patrol.cases.v1"
	DefaultHealthTopic = "patrol.health.v1"
	// DefaultRechecksTopic is Kafka.RechecksTopic's default.
	DefaultRechecksTopic = "patrol.rechecks.v1"
	DefaultBucket        = "patrol-evidence"
	DefaultPreRoll       = 10 * time.Second
	DefaultPostRoll      = 5 * time.Second
	// DefaultBufferBytes bounds each camera's ring in bytes (24 MiB: 20 s
	// of a 8 Mbit/s stream); the ring's default length is pre_roll +
	// post_roll + BufferSlack.
	DefaultBufferBytes = 24 << 20
	// BufferSlack is the ring's margin beyond pre_roll + post_roll: room
	// for the key frame a clip must start at (GOPs up to 5 s).
	BufferSlack        = 5 * time.Second
	DefaultBackoffBase = time.Second
	DefaultBackoffMax  = 30 * time.Second
	DefaultTransport   = TransportTCP
	DefaultMaxMovement = 0.25
	DefaultMinDwell    = 5 * time.Minute
)

// Config is the whole configuration of one worker.
type Config struct {
	// Worker names this worker in logs and cases (default: the host name).
	Worker string `yaml:"worker"`
	// Cameras are the streams this worker pulls.
	Cameras []Camera `yaml:"cameras"`
	// Rules are the zone rules; zones refer to them by id.
	Rules []Rule `yaml:"rules"`
	// Model is the object detector.
	Model Model `yaml:"model"`
	// Ingest tunes stream pulling and buffering for every camera.
	Ingest Ingest `yaml:"ingest"`
	// Kafka is where cases are published.
	Kafka Kafka `yaml:"kafka"`
	// Evidence is where clips and snapshots are stored.
	Evidence Evidence `yaml:"evidence"`
	// Monitoring configures camera health and metrics.
	Monitoring Monitoring `yaml:"monitoring"`
	// EventCodes is the city's event-code table (default DefaultEventCodes).
	EventCodes []EventCode `yaml:"event_codes"`
	// Timezone of rule schedules, an IANA name (default "Asia/Shanghai").
	Timezone string `yaml:"timezone"`
	// DataDir holds the worker's durable state: outbox/ (cases waiting for
	// upload and publish) and cases/ (open cases) (default "patrol-data").
	DataDir string `yaml:"data_dir"`
	// ShutdownTimeout bounds how long the worker takes to stop after SIGTERM
	// (default 20s, below the usual 30 s grace period of a container
	// runtime): post-rolls are cut short and their cases written to the
	// outbox, the outbox is drained for part of the time, and whatever is
	// left stays queued for the next start.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// Cases configures the case lifecycle.
	Cases Lifecycle `yaml:"cases"`
	// Outbox bounds the durable queue.
	Outbox Outbox `yaml:"outbox"`
	// Cluster shares the cameras of a registry among a fleet of workers
	// (default off).
	Cluster Cluster `yaml:"cluster"`
	// Console configures patrol console (ignored by workers).
	Console Console `yaml:"console"`
}

// Lifecycle configures case events after "opened".
type Lifecycle struct {
	// UpdateInterval sends "updated" with a fresh snapshot while the object
	// stays (default 5m).
	UpdateInterval time.Duration `yaml:"update_interval"`
	// CloseAfter sends "closed" once the object has been gone this long
	// (default 2m).
	CloseAfter time.Duration `yaml:"close_after"`
}

// Outbox bounds the durable queue of cases.
type Outbox struct {
	// MaxBytes refuses new cases beyond this size (default 1 GiB).
	MaxBytes int64 `yaml:"max_bytes"`
}

// Monitoring configures camera health events and the metrics endpoint.
type Monitoring struct {
	// MetricsAddress serves /metrics and /healthz (default "127.0.0.1:9108";
	// "off" disables).
	MetricsAddress string `yaml:"metrics_address"`
	// Token is the bearer token /metrics, the live camera pictures and the
	// full /healthz need (default none: open, except live pictures on an
	// address other than loopback, which are refused). At least 16 bytes;
	// give it as ${PATROL_MONITORING_TOKEN}. The console presents it as
	// console.worker_token; Prometheus as its scrape authorization.
	Token string `yaml:"token" json:"-"`
	// StallTimeout reconnects a camera that sends nothing this long (default 10s).
	StallTimeout time.Duration `yaml:"stall_timeout"`
	// OfflineAfter failed attempts in a row mark a camera offline (default 3).
	OfflineAfter int `yaml:"offline_after"`
	// FrozenAfter reports a picture unchanged this long as frozen (default 2m).
	FrozenAfter time.Duration `yaml:"frozen_after"`
	// CoveredAfter reports a picture dark or uniform this long as a covered
	// lens (default 30s).
	CoveredAfter time.Duration `yaml:"covered_after"`
}

// Camera is one RTSP stream.
type Camera struct {
	// ID is a stable identifier, used as the Kafka key (required, unique).
	ID string `yaml:"id" json:"id,omitempty"`
	// Name is a human-readable place name (default: the id).
	Name string `yaml:"name" json:"name,omitempty"`
	// URL is the rtsp:// or rtsps:// address, credentials included (required).
	URL string `yaml:"url" json:"url,omitempty"`
	// DetectURL is the camera's sub-stream (for example 640x360 beside a
	// 1080p main stream; same field of view), optional. When set, pictures
	// for detection come from it, while clips and full-resolution
	// snapshots come from URL's stream, which is then only buffered, not
	// decoded (except for a snapshot). Zones are normalized, so they hold
	// for both; the two aspect ratios must agree (checked when both
	// stream).
	DetectURL string `yaml:"detect_url" json:"detect_url,omitempty"`
	// Transport is "tcp" (default), "udp" or "auto".
	Transport Transport `yaml:"transport" json:"transport,omitempty"`
	// TLSCAFile is a PEM file of CAs trusted for rtsps:// (default: system roots).
	TLSCAFile string `yaml:"tls_ca_file" json:"tls_ca_file,omitempty"`
	// TLSInsecureSkipVerify accepts any rtsps:// certificate (default false;
	// only for cameras with self-signed certificates on a closed network).
	TLSInsecureSkipVerify bool `yaml:"tls_insecure_skip_verify" json:"tls_insecure_skip_verify,omitempty"`
	// DetectInterval forces this camera's time between pictures sent to
	// detection (default 0: ingest.detect_interval, else by need, see
	// SampleInterval).
	DetectInterval time.Duration `yaml:"detect_interval" json:"detect_interval,omitempty"`
	// Zones are the watched areas of the picture.
	Zones []Zone `yaml:"zones" json:"zones,omitempty"`
	// Address is the camera's street address, carried in its cases
	// (optional, at most 200 bytes).
	Address string `yaml:"address" json:"address,omitempty"`
	// Grid is the 单元网格 (grid cell) code of the camera's place, carried
	// in its cases (optional; letters, digits and "-", at most 32).
	Grid string `yaml:"grid" json:"grid,omitempty"`
	// Latitude and Longitude are the camera's place (WGS 84 degrees),
	// carried in its cases (optional; both or neither).
	Latitude  *float64 `yaml:"latitude" json:"latitude,omitempty"`
	Longitude *float64 `yaml:"longitude" json:"longitude,omitempty"`
	// Requires are placement labels a fleet worker must offer
	// (cluster.labels) to run the camera, e.g. district: 高新区 (optional,
	// at most 16; keys and values 1 to 64 bytes). A camera no live worker
	// offers them to is reported unplaced.
	Requires map[string]string `yaml:"requires" json:"requires,omitempty"`
}

// Zone is a polygon in normalized picture coordinates (0..1, origin top left).
type Zone struct {
	// ID identifies the zone within its camera (required).
	ID string `yaml:"id" json:"id,omitempty"`
	// Polygon has at least 3 points [x, y].
	Polygon [][]float64 `yaml:"polygon" json:"polygon,omitempty"`
	// Rules lists the ids of the rules applied in this zone.
	Rules []string `yaml:"rules" json:"rules,omitempty"`
}

// Rule is a zone rule: "stationary" (one object at rest, e.g. illegal
// parking 0505), "gathering" (people at rest with stall objects, e.g.
// street vending 0501) or "static_object" (anything new that appears in
// the zone and stays, whatever its class: 0507 乱堆物堆料, 0102 暴露垃圾,
// a left bag).
type Rule struct {
	// ID identifies the rule (required, unique).
	ID string `yaml:"id"`
	// Kind is "stationary" (default), "gathering" or "static_object".
	Kind RuleKind `yaml:"kind"`
	// Code is the city event code, e.g. "0505" (required).
	Code string `yaml:"code"`
	// Name is the event name (default: the name of Code in event_codes).
	Name string `yaml:"name"`
	// Classes are the detector labels the rule applies to (required for
	// stationary; gathering default [person]; static_object: the labels
	// that are not static objects, default person, bicycle, car,
	// motorcycle, bus, truck).
	Classes []string `yaml:"classes"`
	// MinDwell is how long an object must stay at rest (default 5m).
	MinDwell time.Duration `yaml:"min_dwell"`
	// MaxMovement is the largest anchor displacement still counted as at
	// rest, as a fraction of the box diagonal (default 0.25).
	MaxMovement float64 `yaml:"max_movement"`
	// MinScore is the smallest detection score the rule considers (default
	// 0: model.score_threshold and model.class_thresholds apply).
	MinScore float64 `yaml:"min_score"`
	// MinBoxSize ignores objects whose larger side is below this fraction of
	// the frame height (default 0: no limit).
	MinBoxSize float64 `yaml:"min_box_size"`
	// Schedule limits the rule to time windows, e.g. "07:00-22:00" or
	// "22:00-06:00,12:00-13:30", in the worker's timezone (default: always),
	// parsed when the configuration is read.
	Schedule Windows `yaml:"schedule"`
	// Masks are polygons (normalized) where objects are ignored.
	Masks [][][]float64 `yaml:"masks"`
	// Cooldown is the least time between two cases of the rule in one zone
	// (default 0).
	Cooldown time.Duration `yaml:"cooldown"`
	// StallClasses are the stall objects of a gathering (default umbrella,
	// dining table, chair, bench, suitcase, handbag, backpack, car, truck:
	// a vehicle at rest with people at it is vending from a vehicle). Listing
	// static_object adds what the camera's static-object finder sees (a
	// vendor's cart or stools the detector cannot name).
	StallClasses []string `yaml:"stall_classes"`
	// MinPeople is the smallest group of a gathering (default 1).
	MinPeople int `yaml:"min_people"`
	// MinCount is how many objects of a count rule's classes must each be
	// at rest in the zone for min_dwell (default DefaultMinCount).
	MinCount int `yaml:"min_count"`
	// MinDwellNoStall is how long people must stay without a stall object
	// for a gathering (default 3 x min_dwell).
	MinDwellNoStall time.Duration `yaml:"min_dwell_no_stall"`
	// ConfirmScore is the median detector score over the dwell that a
	// stationary object seen arriving must reach before the rule fires
	// (default 0.3; negative: no check). See docs/accuracy.md.
	ConfirmScore float64 `yaml:"confirm_score"`
	// ConfirmScoreAtStart is that bar for an object already there when
	// the worker started (nothing saw it arrive: permanent fixtures the
	// detector takes for vehicles are of this kind; default 0.5).
	ConfirmScoreAtStart float64 `yaml:"confirm_score_at_start"`
	// LookMatch is the appearance match (normalized correlation of 8x8
	// colour thumbnails) under which a stationary or static object is
	// taken for another one at the same place, restarting its dwell
	// (default 0.5; negative: no check).
	LookMatch float64 `yaml:"look_match"`
	// MinPresence is the share of the pictures analysed during the dwell
	// that must have seen the object (stationary, static_object; default
	// 0.5; negative: no check).
	MinPresence float64 `yaml:"min_presence"`
	// MinArea is the smallest static object, as a fraction of the picture
	// area, counting the cells that differ from the background themselves
	// (static_object; default 0.002).
	MinArea float64 `yaml:"min_area"`
	// SecondLook, on a stationary or gathering rule, runs the detector
	// again on a crop of the full-resolution picture around the object
	// before the case opens; the case opens only when it finds the rule's
	// class there with at least SecondLookScore (default true; false
	// turns it off). See docs/accuracy.md.
	SecondLook *bool `yaml:"second_look"`
	// SecondLookScore is the second look's bar (default
	// DefaultSecondLookScore).
	SecondLookScore float64 `yaml:"second_look_score"`
	// Plates reads the licence plate of a vehicle at rest from several
	// full-resolution pictures of its dwell and puts it on the case
	// (default true on stationary rules; false turns it off).
	Plates *bool `yaml:"plates"`
	// Severity are the rule's severity steps by dwell, e.g. 违停 一般
	// after 15m and 严重 after 60m (default none). Cases carry the level
	// reached, and a new level is sent as an "updated" event at once.
	Severity []SeverityStep `yaml:"severity"`
	// CorrectionWindow gives the offender time to correct first (限时自行
	// 整改): when the dwell is reached a "warning" event is sent (for a
	// loudspeaker or an SMS), and the case opens only if the object is
	// still there when the window ends; else the warning is "withdrawn".
	// Default 0: no warning, the case opens at once. At most 24h.
	CorrectionWindow time.Duration `yaml:"correction_window"`
}

// MinTokenLen is the shortest monitoring.token and console.worker_token.
const MinTokenLen = 16

// MaxCorrectionWindow is the longest Rule.CorrectionWindow.
const MaxCorrectionWindow = 24 * time.Hour

// DefaultZoneCrop is the default Model.ZoneCrop.
const DefaultZoneCrop = true

// ZoneCropOn reports whether zone-cropped detection is on.
func (m Model) ZoneCropOn() bool { return m.ZoneCrop != nil && *m.ZoneCrop }

// DefaultSecondLookScore is the default Rule.SecondLookScore.
const DefaultSecondLookScore = 0.3

// SecondLookOn reports whether the rule's second look is on.
func (r Rule) SecondLookOn() bool {
	return r.SecondLook != nil && *r.SecondLook
}

// PlatesOn reports whether the rule reads plates.
func (r Rule) PlatesOn() bool { return r.Plates != nil && *r.Plates }

// SeverityStep is a severity level reached after a dwell.
type SeverityStep struct {
	// After is the dwell (from first_seen) from which the level holds.
	After time.Duration `yaml:"after"`
	// Level names the level, e.g. "一般" or "严重" (1 to 32 bytes).
	Level string `yaml:"level"`
}

// SeverityAt returns the level of the highest step the dwell has reached
// ("" when none).
func (r Rule) SeverityAt(dwell time.Duration) string {
	level := ""
	for _, s := range r.Severity {
		if dwell >= s.After {
			level = s.Level
		}
	}
	return level
}

// RuleKind is what a rule watches for (Rule.Kind).
type RuleKind string

// Rule kinds.
const (
	KindStationary   RuleKind = "stationary"
	KindGathering    RuleKind = "gathering"
	KindStaticObject RuleKind = "static_object"
	// KindCount: at least min_count objects of the rule's classes at rest
	// in the zone for min_dwell, one case for the group (0506 with bicycle
	// and motorcycle; a crowd with person).
	KindCount RuleKind = "count"
)

// DefaultMinCount is the default Rule.MinCount.
const DefaultMinCount = 3

// DefaultCountClasses are the default classes of a count rule.
var DefaultCountClasses = []string{"bicycle", "motorcycle"}

// DefaultStaticExclude are the default classes of a static_object rule:
// the detector's classes of people and vehicles, which have rules of their
// own and are never static objects.
var DefaultStaticExclude = []string{"person", "bicycle", "car", "motorcycle", "bus", "truck"}

// Model selects the detector.
type Model struct {
	// Name is the model's manifest name (default "yolox_nano").
	Name string `yaml:"name"`
	// Path is the ONNX file; empty means the file `patrol models pull` fetched.
	Path string `yaml:"path"`
	// ScoreThreshold drops weaker detections (default 0.3).
	ScoreThreshold float64 `yaml:"score_threshold"`
	// ZoneCrop lets the detector see the rectangle around a camera's
	// zones (widened by 5 % of the frame) instead of the whole frame when
	// it covers at most 60 % of the frame: objects in the zones get up
	// to twice the pixels at no extra inference (default DefaultZoneCrop;
	// docs/accuracy.md).
	ZoneCrop *bool `yaml:"zone_crop"`
	// ClassThresholds overrides ScoreThreshold per class, e.g. a lower one
	// for umbrellas, which the small model scores low (default none).
	ClassThresholds map[string]float64 `yaml:"class_thresholds"`
	// Backend runs the model: "onnxruntime" (default; 4-5x faster than
	// OpenCV 4.6 DNN on this model, docs/performance.md) or "opencv".
	Backend Backend `yaml:"backend"`
	// RuntimeLibrary is libonnxruntime.so for the onnxruntime backend;
	// empty means the library `patrol models pull` fetched (ONNX Runtime
	// 1.32.0 from its PyPI wheel, sha256-checked).
	RuntimeLibrary string `yaml:"runtime_library"`
	// Threads per inference (default 1: on a node that also decodes video,
	// one thread per inference costs the least CPU per picture; more
	// threads lower the latency of one picture, not the node's capacity).
	Threads int `yaml:"threads"`
	// Workers is how many detectors run in parallel, each on its own
	// thread(s) with its own copy of the model (default 2, or 1 on a
	// one-CPU machine: with 64 cameras on 2 cores, one detector fell behind
	// and two kept up, docs/performance.md; a second idle detector costs
	// about 28 MiB). A camera is always analysed by one worker at a time.
	Workers int `yaml:"workers"`
}

// Ingest tunes stream pulling.
type Ingest struct {
	// DetectInterval forces every camera's time between pictures sent to
	// detection (default 0: by need, from each camera's rules; see
	// SampleInterval and docs/performance.md).
	DetectInterval time.Duration `yaml:"detect_interval"`
	// BufferDuration bounds the compressed ring buffer in memory in time
	// (default evidence.pre_roll + post_roll + 5s = 20s: what a
	// confirmation clip needs, plus a GOP; older stream is in the disk
	// history).
	BufferDuration time.Duration `yaml:"buffer_duration"`
	// BufferBytes bounds the compressed ring buffer in bytes (default 24 MiB).
	BufferBytes int64 `yaml:"buffer_bytes"`
	// BackoffBase is the first reconnect delay (default 1s).
	BackoffBase time.Duration `yaml:"backoff_base"`
	// BackoffMax caps the reconnect delay (default 30s).
	BackoffMax time.Duration `yaml:"backoff_max"`
	// HistoryDuration keeps this much of each stream on local disk beyond
	// the ring buffer (data_dir/history), for arrival clips and first-sight
	// snapshots of long dwell times (default 10m; a negative value: none).
	HistoryDuration time.Duration `yaml:"history_duration"`
	// HistoryBytes bounds each camera's history on disk (default 256 MiB).
	HistoryBytes int64 `yaml:"history_bytes"`
	// MotionGate skips inference while the picture has not changed in the
	// camera's zones, keeping tracks and dwell timers alive; a picture is
	// still analysed at least every max_infer_interval (default on: the
	// evaluation suite keeps precision 1, recall 1 and its alarm error with
	// it; "motion_gate: false" turns it off).
	MotionGate *bool `yaml:"motion_gate"`
	// MaxInferInterval runs inference at least this often when the motion
	// gate is on (default 5s).
	MaxInferInterval time.Duration `yaml:"max_infer_interval"`
}

// MotionGateOn reports whether the motion gate is on (the default).
func (in Ingest) MotionGateOn() bool { return in.MotionGate == nil || *in.MotionGate }

// Kafka configures case publishing.
type Kafka struct {
	// Brokers are host:port addresses (required unless embedded).
	Brokers []string `yaml:"brokers"`
	// CasesTopic defaults to "patrol.cases.v1".
	CasesTopic string `yaml:"cases_topic"`
	// HealthTopic defaults to "patrol.health.v1".
	HealthTopic string `yaml:"health_topic"`
	// RechecksTopic carries re-check requests and answers (核查);
	// defaults to "patrol.rechecks.v1". Workers answer the requests of
	// their cameras; one fleet (or one worker) per topic.
	RechecksTopic string `yaml:"rechecks_topic"`
	// TLS secures the connection to the brokers (default off).
	TLS TLS `yaml:"tls"`
	// SASL authenticates to the brokers (default off).
	SASL SASL `yaml:"sasl"`
	// ReplicationFactor of the topics patrol creates (default 0: 3 when
	// the cluster has three brokers or more, else 1).
	ReplicationFactor int `yaml:"replication_factor"`
	// MinInsyncReplicas of the topics patrol creates (default 0: 2 for a
	// replication factor of 3 or more, else 1); the writer waits for
	// these acks (acks all).
	MinInsyncReplicas int `yaml:"min_insync_replicas"`
}

// TLS configures a TLS client.
type TLS struct {
	// Enabled turns TLS on (default false).
	Enabled bool `yaml:"enabled"`
	// CAFile is a PEM file of trusted CAs (default: system roots).
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are a PEM client certificate and key (mutual TLS).
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// InsecureSkipVerify accepts any server certificate (default false).
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// SASL configures SASL authentication.
type SASL struct {
	// Mechanism is "PLAIN", "SCRAM-SHA-256" or "SCRAM-SHA-512" (empty: off).
	Mechanism SASLMechanism `yaml:"mechanism"`
	// Username and Password (write the password as ${VAR}), or PasswordFile.
	Username     string `yaml:"username"`
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
}

// Evidence configures the evidence store and clip lengths.
type Evidence struct {
	// Kind is "s3" (default) or "dir".
	Kind EvidenceKind `yaml:"kind"`
	// Endpoint is the S3 host:port (kind s3).
	Endpoint string `yaml:"endpoint"`
	// AccessKey and SecretKey are the S3 credentials (kind s3).
	AccessKey string `yaml:"access_key"`
	SecretKey string `yaml:"secret_key"`
	// Secure selects HTTPS for S3 (default false).
	Secure bool `yaml:"secure"`
	// CAFile is a PEM file of CAs trusted for HTTPS (default: system roots).
	CAFile string `yaml:"ca_file"`
	// Bucket defaults to "patrol-evidence".
	Bucket string `yaml:"bucket"`
	// Dir is the root directory (kind dir).
	Dir string `yaml:"dir"`
	// PreRoll is the clip length before confirmation (default 10s).
	PreRoll time.Duration `yaml:"pre_roll"`
	// PostRoll is the clip length after confirmation (default 5s).
	PostRoll time.Duration `yaml:"post_roll"`
	// Retention, when set, stores evidence under S3 object lock for this
	// long, so it cannot be altered or deleted (kind s3; the bucket is
	// created with object locking; default off).
	Retention time.Duration `yaml:"retention"`
	// RetentionMode is "GOVERNANCE" (default) or "COMPLIANCE".
	RetentionMode string `yaml:"retention_mode"`
	// PresignExpiry, when set, puts a presigned GET URL valid this long in
	// every evidence object of a case (kind s3; at most 7 days; default off).
	PresignExpiry time.Duration `yaml:"presign_expiry"`
	// Redact stores, beside each case's snapshot, a copy with faces and
	// the other vehicles' plates blurred (evidence role "redacted"), for
	// answers to citizens and public notices; the original is untouched
	// (default true).
	Redact *bool `yaml:"redact"`
}

// Load reads, expands, parses, defaults and validates a configuration file.
func Load(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := Parse(raw, os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// LoadConsole is Load for `patrol console`, which needs no cameras: a
// configuration with neither cameras nor cluster.enabled is accepted.
func LoadConsole(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := parse(raw, os.LookupEnv, false)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// Parse expands ${VAR} references with lookup, parses YAML (unknown fields are
// errors), applies defaults and validates.
func Parse(raw []byte, lookup func(string) (string, bool)) (*Config, error) {
	return parse(raw, lookup, true)
}

func parse(raw []byte, lookup func(string) (string, bool), needCameras bool) (*Config, error) {
	expanded, err := expandEnv(raw, lookup)
	if err != nil {
		return nil, err
	}
	var cfg Config
	dec := yaml.NewDecoder(bytesReader(expanded))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	cfg.ApplyDefaults()
	if err := cfg.validate(needCameras); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// ApplyDefaults fills empty fields with the documented defaults.
func (c *Config) ApplyDefaults() {
	if c.Worker == "" {
		c.Worker, _ = os.Hostname()
	}
	for i := range c.Cameras {
		ApplyCameraDefaults(&c.Cameras[i])
	}
	if c.DataDir == "" {
		c.DataDir = "patrol-data"
	}
	setDur(&c.ShutdownTimeout, 20*time.Second)
	setDur(&c.Cases.UpdateInterval, 5*time.Minute)
	setDur(&c.Cases.CloseAfter, 2*time.Minute)
	if c.Outbox.MaxBytes == 0 {
		c.Outbox.MaxBytes = 1 << 30
	}
	if c.Timezone == "" {
		c.Timezone = "Asia/Shanghai"
	}
	if len(c.EventCodes) == 0 {
		c.EventCodes = append([]EventCode(nil), DefaultEventCodes...)
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		if e, ok := c.EventCodeFor(r.Code); ok && r.Name == "" {
			r.Name = e.Name
		}
		if r.Kind == "" {
			r.Kind = KindStationary
		}
		if r.Kind == KindGathering && len(r.Classes) == 0 {
			r.Classes = []string{"person"}
		}
		if r.Kind == KindCount && len(r.Classes) == 0 {
			r.Classes = append([]string(nil), DefaultCountClasses...)
		}
		if r.Kind == KindCount && r.MinCount == 0 {
			r.MinCount = DefaultMinCount
		}
		if r.Kind == KindStaticObject && len(r.Classes) == 0 {
			r.Classes = append([]string(nil), DefaultStaticExclude...)
		}
		if r.MinDwell == 0 {
			r.MinDwell = DefaultMinDwell
		}
		if r.MaxMovement == 0 {
			r.MaxMovement = DefaultMaxMovement
		}
		if r.SecondLook == nil {
			on := r.Kind == KindStationary || r.Kind == KindGathering
			r.SecondLook = &on
		}
		if r.SecondLookScore == 0 {
			r.SecondLookScore = DefaultSecondLookScore
		}
		if r.Plates == nil {
			on := r.Kind == KindStationary
			r.Plates = &on
		}
	}
	if c.Model.Name == "" {
		c.Model.Name = "yolox_nano"
	}
	if c.Model.ScoreThreshold == 0 {
		c.Model.ScoreThreshold = 0.3
	}
	if c.Model.Backend == "" {
		c.Model.Backend = BackendONNXRuntime
	}
	if c.Model.ZoneCrop == nil {
		on := DefaultZoneCrop
		c.Model.ZoneCrop = &on
	}
	if c.Model.Threads == 0 {
		c.Model.Threads = 1
	}
	if c.Model.Workers == 0 {
		c.Model.Workers = min(2, runtime.NumCPU())
	}
	in := &c.Ingest
	setDur(&in.BackoffBase, DefaultBackoffBase)
	setDur(&in.BackoffMax, DefaultBackoffMax)
	setDur(&in.MaxInferInterval, 5*time.Second)
	if in.MotionGate == nil {
		on := true
		in.MotionGate = &on
	}
	setDur(&in.HistoryDuration, 10*time.Minute)
	if in.HistoryBytes == 0 {
		in.HistoryBytes = 256 << 20
	}
	if in.BufferBytes == 0 {
		in.BufferBytes = DefaultBufferBytes
	}
	c.Cluster.applyDefaults()
	c.Console.applyDefaults()
	if c.Kafka.CasesTopic == "" {
		c.Kafka.CasesTopic = DefaultCasesTopic
	}
	if c.Kafka.HealthTopic == "" {
		c.Kafka.HealthTopic = DefaultHealthTopic
	}
	if c.Kafka.RechecksTopic == "" {
		c.Kafka.RechecksTopic = DefaultRechecksTopic
	}
	mo := &c.Monitoring
	if mo.MetricsAddress == "" {
		mo.MetricsAddress = "127.0.0.1:9108"
	}
	setDur(&mo.StallTimeout, 10*time.Second)
	setDur(&mo.FrozenAfter, 2*time.Minute)
	setDur(&mo.CoveredAfter, 30*time.Second)
	if mo.OfflineAfter == 0 {
		mo.OfflineAfter = 3
	}
	ev := &c.Evidence
	if ev.Kind == "" {
		ev.Kind = EvidenceS3
	}
	if ev.Bucket == "" {
		ev.Bucket = DefaultBucket
	}
	if ev.Redact == nil {
		on := true
		ev.Redact = &on
	}
	setDur(&ev.PreRoll, DefaultPreRoll)
	setDur(&ev.PostRoll, DefaultPostRoll)
	// The ring holds what a confirmation clip needs; older stream is
	// in the disk history (ingest.history_duration).
	setDur(&in.BufferDuration, ev.PreRoll+ev.PostRoll+BufferSlack)
}

func setDur(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

// RuleByID returns the rule with the given id.
func (c *Config) RuleByID(id string) (Rule, bool) {
	for _, r := range c.Rules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}
