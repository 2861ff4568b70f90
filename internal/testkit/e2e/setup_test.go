package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/publisher/health"
	"github.com/patrol-city/patrol/internal/testkit/sim"
)

// The set-up the single-camera tests share: a simulated camera playing a
// scene, a worker configuration watching it on the real services, and
// reading back what the worker published.

// simCamera is a simulated camera of one test: a scene encoded once and
// served on the path "cam" of an RTSP server, and a camera id unique to
// the run.
type simCamera struct {
	ID     string
	Scene  *sim.Scene
	Stream *sim.Stream
	Server *sim.Server
}

// newSimCamera encodes scene with codec for a camera named prefix-<random>
// on srv (nil: a new server on a free port, closed with the test). The
// scene does not play before play.
func newSimCamera(t *testing.T, srv *sim.Server, scene string, codec media.Codec, prefix string) *simCamera {
	t.Helper()
	sc, st := sceneStream(t, assetMirror(t), scene, codec)
	if srv == nil {
		srv = simServer(t)
	}
	return &simCamera{ID: fmt.Sprintf("%s-%d", prefix, rand.Uint32()), Scene: sc, Stream: st, Server: srv}
}

// URL is the camera's rtsp:// address.
func (c *simCamera) URL() string { return c.Server.URL("cam") }

// play starts the scene from its beginning (looping unless Stream.Loops
// says otherwise) and returns when it started. A worker started before
// (startWorker returns once it is ready) sees it from its first seconds,
// as a camera of a worker that loaded its model before the scene.
func (c *simCamera) play(t *testing.T) time.Time {
	t.Helper()
	if err := c.Server.Add("cam", c.Stream); err != nil {
		t.Fatal(err)
	}
	return time.Now()
}

// camConfig is the configuration of worker "e2e" watching the camera id
// at url, writing to the real Kafka at brokerAddr and the MinIO of s3,
// with /metrics on a free loopback port and a data directory of the test.
// edit adjusts it (rules, zones, timings) before the defaults are applied
// and it is validated.
func camConfig(t *testing.T, brokerAddr string, s3 evidence.S3Config, id, url string, edit func(*config.Config)) *config.Config {
	t.Helper()
	cfg := &config.Config{
		Worker:  "e2e",
		Cameras: []config.Camera{{ID: id, URL: url}},
		Kafka:   config.Kafka{Brokers: []string{brokerAddr}},
		Evidence: config.Evidence{Kind: "s3", Endpoint: s3.Endpoint, AccessKey: s3.AccessKey,
			SecretKey: s3.SecretKey, Bucket: s3.Bucket},
		Monitoring: config.Monitoring{MetricsAddress: "127.0.0.1:0"},
		DataDir:    t.TempDir(),
	}
	if edit != nil {
		edit(cfg)
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// noParking is the zone of the parking scenes: the band of the picture
// from y0 to y1 (fractions of its height), where illegal-parking applies.
func noParking(y0, y1 float64) []config.Zone {
	return []config.Zone{{ID: "no-parking", Rules: []string{"illegal-parking"},
		Polygon: [][]float64{{0.02, y0}, {0.98, y0}, {0.98, y1}, {0.02, y1}}}}
}

// parkingRule is illegal-parking (code 0505) for classes at rest for
// minDwell.
func parkingRule(minDwell time.Duration, classes ...string) []config.Rule {
	return []config.Rule{{ID: "illegal-parking", Code: "0505", Name: "机动车乱停放", Classes: classes, MinDwell: minDwell}}
}

// wireCase is a case message with its seq and the broker's timestamp.
type wireCase struct {
	cases.Case
	Seq int `json:"seq"`
	// Logged is when the broker logged the message (not in the JSON).
	Logged time.Time `json:"-"`
}

// camCases reads the case messages of camera id on topic from offset
// from until the topic is idle for idle; each must pass the case schema.
func camCases(t *testing.T, brokerAddr, topic string, from int64, id string, idle time.Duration) []wireCase {
	t.Helper()
	var out []wireCase
	for _, m := range readMessages(t, brokerAddr, topic, from, idle) {
		if string(m.Key) != id {
			continue
		}
		if err := cases.ValidateCaseJSON(m.Value); err != nil {
			t.Fatalf("case message fails the schema: %v\n%s", err, m.Value)
		}
		var c wireCase
		if err := json.Unmarshal(m.Value, &c); err != nil {
			t.Fatalf("case message is not JSON: %v", err)
		}
		c.Logged = m.Time
		out = append(out, c)
	}
	return out
}

// hasEvent reports whether cs has event with seq (0: any).
func hasEvent(cs []wireCase, event string, seq int) bool {
	for _, c := range cs {
		if c.Event == event && (seq == 0 || c.Seq == seq) {
			return true
		}
	}
	return false
}

// outboxEntries counts the cases waiting in the outbox of a worker's data
// directory (entries being written or removed not included).
func outboxEntries(dataDir string) int {
	m, _ := filepath.Glob(filepath.Join(dataDir, "outbox", "*", "entry.json"))
	n := 0
	for _, p := range m {
		name := filepath.Base(filepath.Dir(p))
		if !strings.HasPrefix(name, "tmp-") && !strings.HasPrefix(name, "del-") && !strings.HasPrefix(name, "bad-") {
			n++
		}
	}
	return n
}

// bookSeqs are the seqs of camera id's open cases as its worker keeps
// them on disk (DataDir/cases/<id>.json) for a restart.
func bookSeqs(dataDir, id string) []int {
	raw, err := os.ReadFile(filepath.Join(dataDir, "cases", id+".json"))
	if err != nil {
		return nil
	}
	var open []struct {
		Seq int `json:"seq"`
	}
	if json.Unmarshal(raw, &open) != nil {
		return nil
	}
	var seqs []int
	for _, c := range open {
		seqs = append(seqs, c.Seq)
	}
	return seqs
}

// healthMsg is a health event read back from Kafka with its headers.
type healthMsg struct {
	event health.Event
	hdr   map[string]string
}

// camHealth reads camera's health events on topic from offset from (until
// 3 s without a message), each checked against the schema.
func camHealth(t *testing.T, broker, topic string, from int64, camera string) []healthMsg {
	t.Helper()
	var out []healthMsg
	for _, m := range readMessages(t, broker, topic, from, 3*time.Second) {
		if string(m.Key) != camera {
			continue
		}
		if err := cases.ValidateHealthJSON(m.Value); err != nil {
			t.Fatalf("published health event fails the schema: %v", err)
		}
		hm := healthMsg{hdr: map[string]string{}}
		if err := json.Unmarshal(m.Value, &hm.event); err != nil {
			t.Fatal(err)
		}
		for _, h := range m.Headers {
			hm.hdr[h.Key] = string(h.Value)
		}
		out = append(out, hm)
	}
	return out
}
