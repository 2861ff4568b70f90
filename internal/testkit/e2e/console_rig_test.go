package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/console"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher/broker"
	"github.com/patrol-city/patrol/internal/worker"
)

// chromiumPath is Debian's chromium (deploy/testenv/deps.sh installs it).
const chromiumPath = "/usr/bin/chromium"

// consoleConfig is the one configuration the worker and the console of
// TestConsoleBrowser share: a fleet worker (zones from the registry) on
// this run's topics, and the console on the default verdicts and
// suppressions topics (the cameras' ids are this run's, so older
// suppressions there cover nothing here).
const consoleConfig = `worker: console-w1
data_dir: %[7]s
cluster:
  enabled: true
  group: %[1]s
  registry_topic: %[1]s.cameras
  casestate_topic: %[1]s.casestate
  partitions: 2
kafka:
  brokers: [%[2]s]
  cases_topic: %[1]s.cases
  health_topic: %[1]s.health
  rechecks_topic: %[1]s.rechecks
evidence: {kind: s3, endpoint: %[3]s, access_key: %[4]s, secret_key: %[5]s, bucket: %[6]s, pre_roll: 3s, post_roll: 2s}
ingest: {backoff_base: 250ms, backoff_max: 1s}
monitoring: {metrics_address: "127.0.0.1:0"}
cases: {update_interval: 5m, close_after: 5s}
rules:
  - {id: illegal-parking, code: "0505", classes: [car, truck], min_dwell: 6s}
console:
  listen: 127.0.0.1:0
  users_file: %[8]s
  roles: {disp: [dispatcher], oper: [operator]}
`

// consoleRig is a worker, its simulated cameras and the console, all in
// this process, on the real Kafka and MinIO.
type consoleRig struct {
	cfg        *config.Config
	srv        *console.Server
	w          *workerRun
	camA, camB string
	casesFrom  int64
	verdicts   int64
	docs       string
	tiles      *tileServer
	// data are the words the rig itself puts on the pages (ids, users,
	// places, addresses): data, not language, for langcheck.
	data []string
}

// startConsoleRig registers two cameras that both show the scene
// eval-two-cars (a car parks on the left, 3-19 s; another on the right,
// 23-41 s; 44 s loop) with one zone, starts the fleet worker and then the
// console pointed at the worker's metrics address (its picture), and
// starts the stream once the worker tries to connect.
func startConsoleRig(t *testing.T, ctx context.Context) *consoleRig {
	t.Helper()
	brokerAddr, s3 := services(t)
	mirror := assetMirror(t)
	_, st := sceneStream(t, mirror, "eval-two-cars", media.H264)
	sim := simServer(t)
	run := fmt.Sprintf("e2e-console-%d", rand.Uint32())
	dir := t.TempDir()
	users := filepath.Join(dir, "users")
	var lines []string
	for _, u := range []string{"disp", "oper"} {
		h, err := bcrypt.GenerateFromPassword([]byte("pw-"+u), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, u+":"+string(h))
	}
	if err := os.WriteFile(users, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	raw := fmt.Sprintf(consoleConfig, run, brokerAddr, s3.Endpoint, s3.AccessKey, s3.SecretKey, s3.Bucket, filepath.Join(dir, "data"), users)
	cfg, err := config.Parse([]byte(raw), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	r := &consoleRig{cfg: cfg, camA: run + "-a", camB: run + "-b", tiles: startTiles(t)}
	zone := []config.Zone{{ID: "kerb", Rules: []string{"illegal-parking"},
		Polygon: [][]float64{{0.02, 0.5}, {0.98, 0.5}, {0.98, 0.93}, {0.02, 0.93}}}}
	deg := func(v float64) *float64 { return &v }
	cams := []config.Camera{
		{ID: r.camA, Name: "东门 A", Address: "人民路 1 号", Grid: "G-0101", URL: sim.URL("cam"), Zones: zone, Latitude: deg(32.4523), Longitude: deg(118.4371)},
		{ID: r.camB, Name: "东门 B", Address: "人民路 3 号", Grid: "G-0102", URL: sim.URL("cam"), Zones: zone, Latitude: deg(32.4551), Longitude: deg(118.4418)},
	}
	for i := range cams {
		config.ApplyCameraDefaults(&cams[i])
	}
	applyCameras(t, cfg, cams, false)
	r.data = []string{"kerb", "zone-2", "disp", "oper", cfg.Worker, "0505", "illegal-parking", cfg.Console.TimeZone, "苏ED51712"}
	for _, c := range cams {
		r.data = append(r.data, c.ID, c.Name, c.Address, c.Grid, c.URL)
	}
	r.casesFrom = topicEnd(t, brokerAddr, cfg.Kafka.CasesTopic)
	r.verdicts = topicEnd(t, brokerAddr, cfg.Console.VerdictsTopic)

	log := stderrLog(slog.LevelInfo)
	r.w = startWorker(t, ctx, cfg, worker.Deps{Logger: log.With("part", "worker")})
	cfg.Console.WorkerURL = "http://" + r.w.MetricsAddr()
	cfg.Console.Map.Tiles, cfg.Console.Map.Attribution = []string{r.tiles.URL + "/{z}/{x}/{y}.png"}, "测试底图 test tiles (httptest)"
	r.data = append(r.data, cfg.Console.Map.Attribution) // configured data, not language
	r.srv, err = console.New(cfg, console.Deps{Logger: log.With("part", "console")})
	if err != nil {
		t.Fatal(err)
	}
	cdone := make(chan error, 1)
	go func() { cdone <- r.srv.Run(ctx) }()
	select {
	case <-r.srv.Ready():
	case err := <-cdone:
		t.Fatalf("console: %v", err)
	}
	t.Cleanup(func() {
		if err := <-cdone; err != nil {
			t.Errorf("console: %v", err)
		}
		r.srv.Close()
	})
	// The scene starts when the worker has its cameras, so that the first
	// car arrives in view.
	waitFor(t, 60*time.Second, "the worker's cameras", func() bool { return len(r.healthz()) == 2 })
	if err := sim.Add("cam", st); err != nil {
		t.Fatal(err)
	}
	r.docs, _ = filepath.Abs(filepath.Join("..", "..", "..", "docs", "console"))
	if err := os.MkdirAll(r.docs, 0o755); err != nil {
		t.Fatal(err)
	}
	return r
}

// healthz is the worker's /healthz: zones by camera.
func (r *consoleRig) healthz() map[string][]string {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + r.w.MetricsAddr() + "/healthz")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var h struct {
		Cameras []struct {
			ID    string   `json:"id"`
			Zones []string `json:"zones"`
		} `json:"cameras"`
	}
	if json.NewDecoder(resp.Body).Decode(&h) != nil {
		return nil
	}
	out := map[string][]string{}
	for _, c := range h.Cameras {
		out[c.ID] = c.Zones
	}
	return out
}

// opened returns the "opened" cases published since the rig started.
func (r *consoleRig) opened(t *testing.T) []wireCase {
	t.Helper()
	var out []wireCase
	for _, m := range readMessages(t, r.cfg.Kafka.Brokers[0], r.cfg.Kafka.CasesTopic, r.casesFrom, time.Second) {
		var c wireCase
		if err := json.Unmarshal(m.Value, &c); err != nil {
			t.Fatalf("case: %v", err)
		}
		if c.Event == cases.EventOpened {
			out = append(out, c)
		}
	}
	return out
}

// waitOpened waits until a case of camera passing keep was opened.
func (r *consoleRig) waitOpened(t *testing.T, limit time.Duration, what, camera string, keep func(wireCase) bool) wireCase {
	t.Helper()
	var found wireCase
	waitFor(t, limit, what, func() bool {
		for _, c := range r.opened(t) {
			if c.Camera.ID == camera && keep(c) {
				found = c
				return true
			}
		}
		return false
	})
	return found
}

// verdict waits for the newest verdict on caseID on the verdicts topic
// and checks it against its schema.
func (r *consoleRig) verdict(t *testing.T, caseID string) cases.Verdict {
	t.Helper()
	var v cases.Verdict
	waitFor(t, 15*time.Second, "the verdict on "+caseID, func() bool {
		found := false
		for _, m := range readMessages(t, r.cfg.Kafka.Brokers[0], r.cfg.Console.VerdictsTopic, r.verdicts, time.Second) {
			if string(m.Key) != caseID {
				continue
			}
			if err := cases.ValidateVerdictJSON(m.Value); err != nil {
				t.Fatalf("verdict fails its schema: %v\n%s", err, m.Value)
			}
			found = json.Unmarshal(m.Value, &v) == nil
		}
		return found
	})
	return v
}

// suppressedCount is patrol_camera_cases_suppressed_total of camera on
// the worker.
func (r *consoleRig) suppressedCount(t *testing.T, camera string) float64 {
	t.Helper()
	for _, line := range strings.Split(httpGet(t, "http://"+r.w.MetricsAddr()+"/metrics"), "\n") {
		if strings.HasPrefix(line, "patrol_camera_cases_suppressed_total{") && strings.Contains(line, `"`+camera+`"`) {
			f := strings.Fields(line)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			if err == nil {
				return v
			}
		}
	}
	return 0
}

// removeSuppression writes the tombstone of a suppression the test made
// on the shared default topic.
func (r *consoleRig) removeSuppression(t *testing.T, id string) {
	w, err := broker.NewWriter(broker.WriterConfig{Brokers: r.cfg.Kafka.Brokers, Topic: r.cfg.Console.SuppressionsTopic})
	if err != nil {
		t.Error(err)
		return
	}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.WriteCase(ctx, id, nil); err != nil {
		t.Errorf("remove suppression %s: %v", id, err)
	}
}
