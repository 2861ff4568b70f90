package console

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/crypto/bcrypt"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/publisher/broker"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
)

// kafkaAddr is the real broker of the tests (PATROL_TEST_KAFKA); the
// test fails without it unless PATROL_TEST_SKIP_SERVICES=1.
func kafkaAddr(t *testing.T) string {
	t.Helper()
	addr := os.Getenv("PATROL_TEST_KAFKA")
	if addr == "" {
		if os.Getenv("PATROL_TEST_SKIP_SERVICES") == "1" {
			t.Skip("PATROL_TEST_SKIP_SERVICES=1: no Kafka")
		}
		t.Fatal("PATROL_TEST_KAFKA is not set: run `make test` or deploy/testenv/services.sh start")
	}
	return addr
}

// clock is a settable time for sessions and the login limiter.
type clock struct {
	mu sync.Mutex
	at time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.at = c.at.Add(d)
	c.mu.Unlock()
}

// Test users: each has the password "pw-" + name.
var testRoles = map[string][]string{
	"disp":   {config.RoleDispatcher},
	"oper":   {config.RoleOperator},
	"admin":  {config.RoleAdmin},
	"nobody": nil,
}

// writeUsers writes a users file with real bcrypt hashes (minimum cost,
// to keep the race-detector run short).
func writeUsers(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("# test accounts\n\n")
	for u := range testRoles {
		h, err := bcrypt.GenerateFromPassword([]byte("pw-"+u), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s:%s\n", u, h)
	}
	p := filepath.Join(dir, "users")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// testConfig is a console configuration on broker with topics of its
// own (prefix), a users file and a directory evidence store.
func testConfig(t *testing.T, broker string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	prefix := fmt.Sprintf("ct-%s-%d", strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-")), rand.Uint32())
	cfg := &config.Config{
		Cluster:  config.Cluster{Enabled: true, Partitions: 2, RegistryTopic: prefix + ".cameras", CaseStateTopic: prefix + ".casestate"},
		Kafka:    config.Kafka{Brokers: []string{broker}, CasesTopic: prefix + ".cases", HealthTopic: prefix + ".health"},
		Evidence: config.Evidence{Kind: "dir", Dir: filepath.Join(dir, "evidence")},
		Rules: []config.Rule{{ID: "illegal-parking", Code: "0505", Classes: []string{"car", "truck"}, MinDwell: 6 * time.Second},
			{ID: "vending", Kind: config.KindGathering, Code: "0501", MinDwell: 10 * time.Second}},
		Console: config.Console{Listen: "127.0.0.1:0", UsersFile: writeUsers(t, dir), Roles: map[string][]string{},
			VerdictsTopic: prefix + ".verdicts", SuppressionsTopic: prefix + ".suppressions", SessionsTopic: prefix + ".sessions"},
	}
	for u, r := range testRoles {
		if r != nil {
			cfg.Console.Roles[u] = r
		}
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// rig is a running console.
type rig struct {
	t     *testing.T
	cfg   *config.Config
	srv   *Server
	clock *clock
}

// startConsole runs a console with cfg until the test ends and waits
// until it has read Kafka.
func startConsole(t *testing.T, cfg *config.Config, deps Deps) *rig {
	t.Helper()
	c := &clock{at: time.Now()}
	if deps.Now == nil {
		deps.Now = c.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	srv, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		srv.Close()
	})
	waitFor(t, 60*time.Second, "console synced with Kafka", srv.Synced)
	return &rig{t: t, cfg: cfg, srv: srv, clock: c}
}

// waitFor polls cond every 50 ms until it holds or fails the test.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// publish writes messages to topic (key, value pairs).
func publish(t *testing.T, cfg *config.Config, topic string, kv ...[]byte) {
	t.Helper()
	w, err := broker.NewWriter(broker.WriterConfig{Brokers: cfg.Kafka.Brokers, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := 0; i+1 < len(kv); i += 2 {
		if err := w.WriteCase(ctx, string(kv[i]), kv[i+1]); err != nil {
			t.Fatal(err)
		}
	}
}

// readTopic reads topic from its start until it has n records.
func readTopic(t *testing.T, cfg *config.Config, topic string, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Kafka.Brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("%s: %d records, want %d", topic, len(out), n)
		}
		out = append(out, fs.Records()...)
	}
	return out
}

// testCase is a valid case message (with seq) confirmed at at.
func testCase(id, camera, zone, event string, seq int, at time.Time) []byte {
	c := cases.Case{SchemaVersion: 1, CaseID: id, Event: event, Worker: "w1",
		Rule:   cases.Rule{ID: "illegal-parking", Kind: "stationary", Code: "0505", Name: "机动车乱停放"},
		Camera: cases.Camera{ID: camera, Name: "东门", Address: "人民路 1 号", Grid: "G-12"}, ZoneID: zone,
		FirstSeen: at.Add(-30 * time.Second), ConfirmedAt: at, DwellS: 30,
		Objects: []cases.Object{{TrackID: 3, Label: "car", Score: 0.9, Box: [4]float64{0.2, 0.5, 0.3, 0.2}, Role: "subject"}},
		Model:   cases.Model{Name: "yolox_nano", SHA256: strings.Repeat("a", 64)}, PublishedAt: at.Add(6 * time.Second),
		Explanation: &cases.Explanation{DwellS: 30, Pictures: 12, ScoreStat: cases.StatMedian, Score: 0.88, LookMatch: 0.9, Presence: 1}}
	prefix := camera + "/" + at.UTC().Format("2006/01/02") + "/" + id + "/"
	ev := func(kind, role, name, ct string, annotated bool) cases.Evidence {
		return cases.Evidence{Kind: kind, Role: role, Annotated: annotated, Bucket: evidence.DefaultBucket, Key: prefix + name,
			SHA256: strings.Repeat("b", 64), Size: 10, ContentType: ct}
	}
	if event == cases.EventOpened {
		c.Evidence = []cases.Evidence{ev("clip", "confirmation", "clip.mp4", "video/mp4", false),
			ev("snapshot", "confirmation", "snapshot.jpg", "image/jpeg", true),
			ev("snapshot", "confirmation", "snapshot-clean.jpg", "image/jpeg", false),
			ev("snapshot", "first_sight", "first-sight.jpg", "image/jpeg", true)}
	} else {
		c.Evidence = []cases.Evidence{ev("snapshot", "", fmt.Sprintf("snapshot-%d-%s.jpg", seq, event), "image/jpeg", true)}
	}
	raw, _ := json.Marshal(wireCase{Case: c, Seq: seq})
	return raw
}
