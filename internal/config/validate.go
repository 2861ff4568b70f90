package config

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("invalid configuration")

type fieldErrors []string

func (f *fieldErrors) add(path, format string, args ...any) {
	*f = append(*f, path+": "+fmt.Sprintf(format, args...))
}

// Validate checks every field and returns one error listing every problem,
// each prefixed with the path of the field, e.g.
// "cameras[2].zones[0].polygon: need at least 3 points".
func (c *Config) Validate() error { return c.validate(true) }

// validate is Validate; needCameras false accepts a configuration without
// cameras outside a fleet (the console's).
func (c *Config) validate(needCameras bool) error {
	var fe fieldErrors
	if needCameras && len(c.Cameras) == 0 && !c.Cluster.Enabled {
		fe.add("cameras", "need at least one camera")
	}
	c.Cluster.validate(&fe, len(c.Cameras))
	c.Console.validate(&fe)
	if c.Kafka.ReplicationFactor < 0 || c.Kafka.MinInsyncReplicas < 0 ||
		(c.Kafka.ReplicationFactor > 0 && c.Kafka.MinInsyncReplicas > c.Kafka.ReplicationFactor) {
		fe.add("kafka.min_insync_replicas", "must be between 1 and replication_factor (0: default)")
	}
	ruleIDs := map[string]bool{}
	for i, r := range c.Rules {
		p := fmt.Sprintf("rules[%d]", i)
		switch err := CheckID(r.ID); {
		case err != nil:
			fe.add(p+".id", "%v", err)
		case ruleIDs[r.ID]:
			fe.add(p+".id", "duplicate rule id %q", r.ID)
		}
		ruleIDs[r.ID] = true
		if r.Kind != KindStationary && r.Kind != KindGathering && r.Kind != KindStaticObject && r.Kind != KindCount {
			fe.add(p+".kind", "unknown kind %q (stationary, gathering, static_object or count)", r.Kind)
		}
		if r.MinCount < 0 {
			fe.add(p+".min_count", "must be at least 1")
		}
		if r.ConfirmScore > 1 {
			fe.add(p+".confirm_score", "must be at most 1 (negative: no check)")
		}
		if r.ConfirmScoreAtStart > 1 {
			fe.add(p+".confirm_score_at_start", "must be at most 1 (negative: no check)")
		}
		if r.LookMatch > 1 {
			fe.add(p+".look_match", "must be at most 1 (negative: no check)")
		}
		if r.SecondLookScore < 0 || r.SecondLookScore > 1 {
			fe.add(p+".second_look_score", "must be in (0, 1]")
		}
		if r.MinPresence > 1 {
			fe.add(p+".min_presence", "must be at most 1 (negative: no check)")
		}
		validateSeverity(&fe, p+".severity", r.Severity)
		if r.MinArea < 0 || r.MinArea >= 1 {
			fe.add(p+".min_area", "must be between 0 and 1 (fraction of the picture)")
		}
		for k, m := range r.Masks {
			validatePolygon(&fe, fmt.Sprintf("%s.masks[%d]", p, k), m)
		}
		if r.MinBoxSize < 0 || r.MinBoxSize > 1 {
			fe.add(p+".min_box_size", "must be between 0 and 1 (fraction of the frame height)")
		}
		if r.Code == "" {
			fe.add(p+".code", "required (city event code, e.g. \"0505\")")
		} else if _, ok := c.EventCodeFor(r.Code); !ok {
			fe.add(p+".code", "%q is not in event_codes", r.Code)
		}
		if len(r.Classes) == 0 {
			fe.add(p+".classes", "need at least one class")
		}
		if r.MinDwell < 0 {
			fe.add(p+".min_dwell", "must not be negative")
		}
		if r.CorrectionWindow < 0 || r.CorrectionWindow > MaxCorrectionWindow {
			fe.add(p+".correction_window", "must be between 0 (off) and %v", MaxCorrectionWindow)
		}
		if r.MaxMovement < 0 || r.MaxMovement > 10 {
			fe.add(p+".max_movement", "must be between 0 and 10 box diagonals")
		}
		if r.MinScore < 0 || r.MinScore > 1 {
			fe.add(p+".min_score", "must be between 0 and 1")
		}
	}
	codes := map[string]bool{}
	for i, e := range c.EventCodes {
		p := fmt.Sprintf("event_codes[%d]", i)
		if e.Code == "" || codes[e.Code] {
			fe.add(p+".code", "required and unique")
		}
		codes[e.Code] = true
		if e.Name == "" {
			fe.add(p+".name", "required")
		}
	}
	if t := c.Monitoring.Token; t != "" && len(t) < MinTokenLen {
		fe.add("monitoring.token", "must be at least %d bytes", MinTokenLen)
	}
	if c.ShutdownTimeout < time.Second {
		fe.add("shutdown_timeout", "%v is below 1s", c.ShutdownTimeout)
	}
	validateCameras(&fe, c.Cameras, ruleIDs)
	in := c.Ingest
	if in.DetectInterval < 0 || (in.DetectInterval > 0 && in.DetectInterval < MinDetectInterval) {
		fe.add("ingest.detect_interval", "must be at least %v (or 0: by need)", MinDetectInterval)
	}
	if in.BufferBytes < 1<<20 {
		fe.add("ingest.buffer_bytes", "must be at least 1 MiB")
	}
	if in.BackoffMax < in.BackoffBase {
		fe.add("ingest.backoff_max", "must not be less than backoff_base")
	}
	if c.Evidence.PreRoll+c.Evidence.PostRoll > in.BufferDuration {
		fe.add("evidence.pre_roll", "pre_roll + post_roll (%v) exceed ingest.buffer_duration (%v)",
			c.Evidence.PreRoll+c.Evidence.PostRoll, in.BufferDuration)
	}
	switch c.Evidence.Kind {
	case "s3":
		if c.Evidence.Endpoint == "" {
			fe.add("evidence.endpoint", "required for kind s3")
		}
		if c.Evidence.AccessKey == "" || c.Evidence.SecretKey == "" {
			fe.add("evidence.access_key", "access_key and secret_key are required for kind s3")
		}
	case "dir":
		if c.Evidence.Dir == "" {
			fe.add("evidence.dir", "required for kind dir")
		}
	default:
		fe.add("evidence.kind", "unknown kind %q (s3 or dir)", c.Evidence.Kind)
	}
	if c.Model.ScoreThreshold <= 0 || c.Model.ScoreThreshold >= 1 {
		fe.add("model.score_threshold", "must be between 0 and 1")
	}
	switch c.Model.Backend {
	case "onnxruntime", "opencv":
	default:
		fe.add("model.backend", "%q is not a backend (onnxruntime or opencv)", c.Model.Backend)
	}
	if c.Model.Threads < 1 || c.Model.Threads > 64 {
		fe.add("model.threads", "must be between 1 and 64")
	}
	if c.Model.Workers < 1 || c.Model.Workers > 16 {
		fe.add("model.workers", "must be between 1 and 16")
	}
	for cls, v := range c.Model.ClassThresholds {
		if v <= 0 || v >= 1 {
			fe.add("model.class_thresholds."+cls, "must be between 0 and 1")
		}
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		fe.add("timezone", "unknown time zone %q", c.Timezone)
	}
	if c.Cases.UpdateInterval < time.Second || c.Cases.CloseAfter < time.Second {
		fe.add("cases.update_interval", "update_interval and close_after must be at least 1s")
	}
	if c.Outbox.MaxBytes < 1<<20 {
		fe.add("outbox.max_bytes", "must be at least 1 MiB")
	}
	switch c.Evidence.RetentionMode {
	case "", "GOVERNANCE", "COMPLIANCE":
	default:
		fe.add("evidence.retention_mode", "unknown mode %q (GOVERNANCE or COMPLIANCE)", c.Evidence.RetentionMode)
	}
	switch c.Kafka.SASL.Mechanism {
	case "", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
	default:
		fe.add("kafka.sasl.mechanism", "unknown mechanism %q (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)", c.Kafka.SASL.Mechanism)
	}
	if c.Kafka.SASL.Mechanism != "" && (c.Kafka.SASL.Username == "" || (c.Kafka.SASL.Password == "" && c.Kafka.SASL.PasswordFile == "")) {
		fe.add("kafka.sasl", "username and password (or password_file) required")
	}
	for path, f := range map[string]string{"kafka.tls.ca_file": c.Kafka.TLS.CAFile, "kafka.tls.cert_file": c.Kafka.TLS.CertFile,
		"kafka.tls.key_file": c.Kafka.TLS.KeyFile, "kafka.sasl.password_file": c.Kafka.SASL.PasswordFile, "evidence.ca_file": c.Evidence.CAFile} {
		if f != "" {
			if _, err := os.Stat(f); err != nil {
				fe.add(path, "cannot read %s", f)
			}
		}
	}
	mo := c.Monitoring
	if mo.StallTimeout < time.Second {
		fe.add("monitoring.stall_timeout", "must be at least 1s")
	}
	if mo.OfflineAfter < 1 {
		fe.add("monitoring.offline_after", "must be at least 1")
	}
	if mo.FrozenAfter < time.Second || mo.CoveredAfter < time.Second {
		fe.add("monitoring.frozen_after", "frozen_after and covered_after must be at least 1s")
	}
	if len(fe) == 0 {
		return nil
	}
	return fmt.Errorf("%w:\n  %s", ErrInvalid, strings.Join(fe, "\n  "))
}

// ValidateKafka checks that brokers are set; embedded demo mode skips it.
func (c *Config) ValidateKafka() error {
	if len(c.Kafka.Brokers) == 0 {
		return fmt.Errorf("%w: kafka.brokers: need at least one broker", ErrInvalid)
	}
	return nil
}

func validateURL(fe *fieldErrors, path, raw string) {
	if raw == "" {
		fe.add(path, "required")
		return
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse errors quote the input, which may hold a password.
		fe.add(path, "not a valid URL")
		return
	}
	if u.Scheme != "rtsp" && u.Scheme != "rtsps" {
		fe.add(path, "scheme %q not supported (rtsp or rtsps)", u.Scheme)
	}
	if strings.Contains(raw, "#") {
		// Read as the start of a fragment, it would cut a password in two
		// (rtsp://admin:1234#5678@cam connects to host "admin").
		fe.add(path, "contains '#': percent-encode it as %%23 (in a password, say)")
	}
	if u.Host == "" {
		fe.add(path, "missing host")
	}
}

func validatePolygon(fe *fieldErrors, path string, poly [][]float64) {
	if len(poly) < 3 {
		fe.add(path, "need at least 3 points")
		return
	}
	for i, pt := range poly {
		if len(pt) != 2 {
			fe.add(fmt.Sprintf("%s[%d]", path, i), "need [x, y]")
			continue
		}
		if pt[0] < 0 || pt[0] > 1 || pt[1] < 0 || pt[1] > 1 {
			fe.add(fmt.Sprintf("%s[%d]", path, i), "coordinates must be normalized to 0..1")
		}
	}
}

// validateCameras checks cameras against the rule ids, with the paths of
// a cameras: list.
func validateCameras(fe *fieldErrors, cameras []Camera, ruleIDs map[string]bool) {
	camIDs := map[string]bool{}
	for i, cam := range cameras {
		p := fmt.Sprintf("cameras[%d]", i)
		switch err := CheckID(cam.ID); {
		case err != nil:
			fe.add(p+".id", "%v", err)
		case camIDs[cam.ID]:
			fe.add(p+".id", "duplicate camera id %q", cam.ID)
		}
		camIDs[cam.ID] = true
		validateURL(fe, p+".url", cam.URL)
		validatePlace(fe, p, cam)
		validateLabels(fe, p+".requires", cam.Requires)
		if cam.DetectURL != "" {
			validateURL(fe, p+".detect_url", cam.DetectURL)
		}
		if cam.DetectInterval < 0 || (cam.DetectInterval > 0 && cam.DetectInterval < MinDetectInterval) {
			fe.add(p+".detect_interval", "must be at least %v (or 0: ingest.detect_interval, else by need)", MinDetectInterval)
		}
		switch cam.Transport {
		case "tcp", "udp", "auto":
		default:
			fe.add(p+".transport", "unknown transport %q (tcp, udp or auto)", cam.Transport)
		}
		if cam.TLSCAFile != "" {
			if _, err := os.Stat(cam.TLSCAFile); err != nil {
				fe.add(p+".tls_ca_file", "cannot read %s", cam.TLSCAFile)
			}
		}
		zoneIDs := map[string]bool{}
		for j, z := range cam.Zones {
			zp := fmt.Sprintf("%s.zones[%d]", p, j)
			if err := CheckID(z.ID); err != nil {
				fe.add(zp+".id", "%v", err)
			} else if zoneIDs[z.ID] {
				fe.add(zp+".id", "duplicate zone id %q", z.ID)
			}
			zoneIDs[z.ID] = true
			validatePolygon(fe, zp+".polygon", z.Polygon)
			for k, rid := range z.Rules {
				if !ruleIDs[rid] {
					fe.add(fmt.Sprintf("%s.rules[%d]", zp, k), "unknown rule %q", rid)
				}
			}
		}
	}
}

var gridCode = regexp.MustCompile(`^[0-9A-Za-z-]{1,32}$`)

// validatePlace checks a camera's optional location fields.
func validatePlace(fe *fieldErrors, p string, cam Camera) {
	if len(cam.Address) > 200 {
		fe.add(p+".address", "longer than 200 bytes")
	}
	if cam.Grid != "" && !gridCode.MatchString(cam.Grid) {
		fe.add(p+".grid", "must be 1 to 32 letters, digits or -")
	}
	if (cam.Latitude == nil) != (cam.Longitude == nil) {
		fe.add(p+".latitude", "latitude and longitude go together")
	}
	if cam.Latitude != nil && (*cam.Latitude < -90 || *cam.Latitude > 90 || math.IsNaN(*cam.Latitude)) {
		fe.add(p+".latitude", "must be between -90 and 90")
	}
	if cam.Longitude != nil && (*cam.Longitude < -180 || *cam.Longitude > 180 || math.IsNaN(*cam.Longitude)) {
		fe.add(p+".longitude", "must be between -180 and 180")
	}
}

// validateSeverity checks that steps rise strictly in dwell and are named.
func validateSeverity(fe *fieldErrors, p string, steps []SeverityStep) {
	for i, s := range steps {
		sp := fmt.Sprintf("%s[%d]", p, i)
		if s.Level == "" || len(s.Level) > 32 {
			fe.add(sp+".level", "required, at most 32 bytes")
		}
		if s.After < 0 {
			fe.add(sp+".after", "must not be negative")
		}
		if i > 0 && s.After <= steps[i-1].After {
			fe.add(sp+".after", "steps must rise in dwell (%v after %v)", s.After, steps[i-1].After)
		}
	}
}

// validateLabels checks placement labels (camera requires, cluster
// labels): at most 16, keys and values 1 to 64 bytes.
func validateLabels(fe *fieldErrors, path string, labels map[string]string) {
	if len(labels) > 16 {
		fe.add(path, "at most 16 labels")
	}
	for k, v := range labels {
		if k == "" || len(k) > 64 || v == "" || len(v) > 64 {
			fe.add(path, "label %q: %q: keys and values must be 1 to 64 bytes", k, v)
		}
	}
}
