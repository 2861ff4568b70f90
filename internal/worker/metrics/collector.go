package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

var (
	labels = []string{"worker", "camera"}
	descs  = map[string]*prometheus.Desc{}
)

func desc(name, help string, extra ...string) *prometheus.Desc {
	d := prometheus.NewDesc("patrol_camera_"+name, help, append(append([]string(nil), labels...), extra...), nil)
	descs[name] = d
	return d
}

var (
	dPackets    = desc("rtp_packets_total", "RTP packets received.")
	dUnits      = desc("access_units_total", "Access units (compressed pictures) received.")
	dBytes      = desc("bytes_total", "Compressed video bytes received.")
	dDecoded    = desc("frames_decoded_total", "Pictures decoded.")
	dSent       = desc("frames_detection_total", "Pictures sent to detection.")
	dDecErr     = desc("decode_errors_total", "Access units the decoder rejected.")
	dDropped    = desc("dropped_units_total", "Access units dropped because the decoder queue was full.")
	dSkipped    = desc("skipped_frames_total", "Decoded pictures skipped because detection was busy.")
	dReconnects = desc("reconnects_total", "Ended RTSP sessions (each followed by a reconnect).")
	dInfer      = desc("inferences_total", "Detector runs.")
	dGated      = desc("gated_frames_total", "Frames not sent to the detector because the picture did not change in the zones (motion gate).")
	dWait       = desc("detect_wait_seconds_total", "Time pictures waited for the shared detector.")
	dFired      = desc("rules_fired_total", "Rules fired (candidate cases), suppressed ones included.")
	dSecondLook = desc("second_look_dropped_total", "Rule events not opened as cases because the second look at full resolution did not find the rule's class.")
	dSuppressed = desc("cases_suppressed_total", "Candidate cases not opened because a dispatcher's suppression covered them.")
	dWarnings   = desc("warnings_total", "Warnings of a rule with a correction window (限时自行整改) by outcome: warned (sent), withdrawn (the object left within the window) or opened (a case followed); warned minus the others are still running.", "rule", "outcome")
	dRingBytes  = desc("ring_bytes", "Bytes held in the compressed ring buffer.")
	dRingSecs   = desc("ring_seconds", "Seconds of stream held in the compressed ring buffer.")
	dDrift      = desc("clock_drift_seconds", "Server receive time minus camera time (RTCP sender reports) of the latest picture.")
	dState      = desc("state", "1 for the camera's current connection state.", "state")
	dPicture    = desc("picture_state", "1 for the camera's current picture state.", "state")
	dDecState   = desc("decoder_state", "1 for the camera's current decoding state (ok, stuck, degraded).", "state")
	dDecStuck   = desc("decoder_stuck_total", "Decode calls the watchdog abandoned (decoder replaced).")
	dInterval   = desc("sample_interval_seconds", "Time between two pictures of the camera sent to detection (by need from its rules, or forced).")
	dReplaced   = desc("replaced_frames_total", "Pictures replaced by a newer one while waiting for the detector (the detector fell behind).")
	dLatency    = desc("detect_latency_seconds", "Frame receipt to end of rule evaluation over the last 512 pictures, by quantile.", "quantile")
)

// dBacklog is per worker: cameras whose picture waits for the detector.
var dBacklog = prometheus.NewDesc("patrol_detector_backlog",
	"Cameras with a picture waiting for the shared detector.", []string{"worker"}, nil)

// backlogSource is implemented by sources that know the detector's queue.
type backlogSource interface {
	Backlog() int
}

var decoderStates = []string{"ok", "stuck", "degraded"}

var states = []string{"connecting", "streaming", "stalled", "offline"}
var pictures = []string{"ok", "frozen", "covered"}

type collector struct {
	src     Source
	deps    DependencySource
	cluster ClusterSource // nil outside a fleet
	// delivery is nil when the worker does not report it.
	delivery DeliverySource
	// rechecks is nil when the worker does not answer re-checks.
	rechecks RecheckSource
	worker   string
}

// dDepUp is not per camera: patrol_dependency_up{worker,dependency}.
var dDepUp = prometheus.NewDesc("patrol_dependency_up",
	"1 when the last check of a service the worker writes to (kafka, evidence) succeeded.",
	[]string{"worker", "dependency"}, nil)

var dDepFailures = prometheus.NewDesc("patrol_dependency_check_failures_total",
	"Failed checks of a service the worker writes to.", []string{"worker", "dependency"}, nil)

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range descs {
		ch <- d
	}
	ch <- dDepUp
	ch <- dDepFailures
	ch <- dBacklog
	ch <- dFleetPartitions
	ch <- dFleetAssignments
	ch <- dFleetCameras
	describeDelivery(ch)
	describeRechecks(ch)
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	if c.deps != nil {
		for _, d := range c.deps.States() {
			ch <- prometheus.MustNewConstMetric(dDepUp, prometheus.GaugeValue, b2f(d.Up), c.worker, d.Name)
			ch <- prometheus.MustNewConstMetric(dDepFailures, prometheus.CounterValue, float64(d.Failures), c.worker, d.Name)
		}
	}
	c.collectDelivery(ch)
	c.collectRechecks(ch)
	if b, ok := c.src.(backlogSource); ok {
		ch <- prometheus.MustNewConstMetric(dBacklog, prometheus.GaugeValue, float64(b.Backlog()), c.worker)
	}
	stats := c.src.Stats()
	c.collectCluster(ch, len(stats))
	for id, st := range stats {
		in := st.Ingest
		lv := []string{c.worker, id}
		counter := func(d *prometheus.Desc, v uint64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), lv...)
		}
		gauge := func(d *prometheus.Desc, v float64, extra ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append(append([]string(nil), lv...), extra...)...)
		}
		counter(dPackets, in.Packets)
		counter(dUnits, in.Units)
		counter(dBytes, in.Bytes)
		counter(dDecoded, in.FramesDecoded)
		counter(dSent, in.FramesSent)
		counter(dDecErr, in.DecodeErrors)
		counter(dDropped, in.Dropped)
		counter(dSkipped, st.Skipped)
		counter(dReconnects, in.Reconnects)
		counter(dInfer, st.Inferences)
		counter(dGated, st.Gated)
		ch <- prometheus.MustNewConstMetric(dWait, prometheus.CounterValue, st.DetectWait.Seconds(), lv...)
		counter(dFired, st.Fired)
		counter(dSuppressed, st.Suppressed)
		counter(dSecondLook, st.SecondLookDropped)
		for rule, n := range st.Warnings {
			for _, o := range []struct {
				name string
				v    uint64
			}{{"warned", n.Warned}, {"withdrawn", n.Withdrawn}, {"opened", n.Opened}} {
				ch <- prometheus.MustNewConstMetric(dWarnings, prometheus.CounterValue, float64(o.v), c.worker, id, rule, o.name)
			}
		}
		gauge(dRingBytes, float64(in.Ring.Bytes))
		gauge(dRingSecs, in.Ring.Span.Seconds())
		if in.HasDrift {
			gauge(dDrift, in.Drift.Seconds())
		}
		for _, s := range states {
			gauge(dState, b2f(st.State == s), s)
		}
		for _, p := range pictures {
			gauge(dPicture, b2f(st.Picture == p), p)
		}
		for _, d := range decoderStates {
			gauge(dDecState, b2f(string(in.Decoder) == d), d)
		}
		counter(dDecStuck, in.DecoderStuck)
		gauge(dInterval, st.Interval.Seconds())
		counter(dReplaced, st.Replaced)
		gauge(dLatency, st.LatencyP50.Seconds(), "0.5")
		gauge(dLatency, st.LatencyP95.Seconds(), "0.95")
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
