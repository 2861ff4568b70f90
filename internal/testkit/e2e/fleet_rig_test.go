package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	pkafka "github.com/patrol-city/patrol/internal/kafka"
	"github.com/patrol-city/patrol/internal/kafka/registry"
	"github.com/patrol-city/patrol/internal/publisher/broker"
	"github.com/patrol-city/patrol/internal/worker"
)

// fleetWorker is one worker process of a fleet test.
type fleetWorker struct {
	name     string
	metrics  string // host:port of /healthz, once the process wrote addrFile
	addrFile string
	cmd      *exec.Cmd
}

// startFleetWorker runs `patrol run -config cfgFile` in a process of its
// own (this test binary, as TestFleetWorkerProcess) with the worker's
// variables WORKER, DATA_DIR and METRICS_ADDR. METRICS_ADDR is port 0 and
// the process writes the address it listens on to a file: a port picked
// here and bound there later could be taken meanwhile by any other test.
func startFleetWorker(t *testing.T, cfgFile, name, dataRoot string) *fleetWorker {
	t.Helper()
	addrFile := filepath.Join(dataRoot, name+".addr")
	if err := os.Remove(addrFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFleetWorkerProcess$")
	cmd.Env = append(os.Environ(), "PATROL_FLEET_WORKER="+cfgFile, "PATROL_FLEET_ADDR="+addrFile, "WORKER="+name,
		"DATA_DIR="+filepath.Join(dataRoot, name), "METRICS_ADDR=127.0.0.1:0")
	logf, err := os.Create(filepath.Join(dataRoot, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &fleetWorker{name: name, addrFile: addrFile, cmd: cmd}
	t.Cleanup(func() { w.kill(syscall.SIGKILL); logf.Close() })
	return w
}

// kill signals the worker and waits for it to exit.
func (w *fleetWorker) kill(sig syscall.Signal) {
	if w.cmd.ProcessState != nil {
		return
	}
	_ = w.cmd.Process.Signal(sig)
	_ = w.cmd.Wait()
}

// TestFleetWorkerProcess is a fleet worker of TestFleet: what `patrol run
// -config` does (config.Load expands the ${NAME} variables), until
// SIGTERM.
func TestFleetWorkerProcess(t *testing.T) {
	path := os.Getenv("PATROL_FLEET_WORKER")
	if path == "" {
		t.Skip("helper process of TestFleet")
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(t.Context(), syscall.SIGTERM)
	defer stop()
	w := startWorker(t, ctx, cfg, worker.Deps{})
	// The address of /healthz for startFleetWorker, written whole (renamed
	// into place) so that it is never read half written.
	addrFile := os.Getenv("PATROL_FLEET_ADDR")
	if err := os.WriteFile(addrFile+".tmp", []byte(w.MetricsAddr()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(addrFile+".tmp", addrFile); err != nil {
		t.Fatal(err)
	}
	if err := w.Wait(); err != nil {
		t.Fatal(err)
	}
}

// cameraHealth is a camera in a worker's /healthz.
type cameraHealth struct {
	ID     string   `json:"id"`
	State  string   `json:"state"`
	Frames uint64   `json:"frames_to_detection"`
	Zones  []string `json:"zones"`
}

// healthz reads a worker's /healthz (nil when it does not answer).
func (w *fleetWorker) healthz() []cameraHealth {
	if w.metrics == "" {
		addr, err := os.ReadFile(w.addrFile)
		if err != nil {
			return nil // not listening yet
		}
		w.metrics = string(addr)
	}
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + w.metrics + "/healthz")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var h struct {
		Worker  string         `json:"worker"`
		Cameras []cameraHealth `json:"cameras"`
	}
	if json.NewDecoder(resp.Body).Decode(&h) != nil || h.Worker != w.name {
		return nil
	}
	return h.Cameras
}

// owners maps every camera to the workers listing it, and reports whether
// each of want is streaming on exactly one of them.
func owners(ws []*fleetWorker, want []string) (map[string][]string, bool) {
	own := map[string][]string{}
	streaming := map[string]int{}
	for _, w := range ws {
		for _, c := range w.healthz() {
			own[c.ID] = append(own[c.ID], w.name)
			if c.State == "streaming" {
				streaming[c.ID]++
			}
		}
	}
	ok := len(own) == len(want)
	for _, id := range want {
		if len(own[id]) != 1 || streaming[id] != 1 {
			ok = false
		}
	}
	return own, ok
}

// waitOwned polls until every camera of want streams on exactly one of
// ws, or fails after limit; it returns how long that took.
func waitOwned(t *testing.T, ws []*fleetWorker, want []string, limit time.Duration) (time.Duration, map[string][]string) {
	t.Helper()
	start := time.Now()
	for {
		own, ok := owners(ws, want)
		if ok {
			return time.Since(start), own
		}
		if time.Since(start) > limit {
			t.Fatalf("cameras not each streaming on exactly one worker after %v: %v", limit, own)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// applyCameras writes the registry as `patrol cameras apply` does.
func applyCameras(t *testing.T, cfg *config.Config, cams []config.Camera, prune bool) registry.Change {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := cfg.ValidateCameras(cams); err != nil {
		t.Fatal(err)
	}
	reg, err := pkafka.OpenTable(ctx, cfg, pkafka.RegistryTopic(cfg), pkafka.TableOptions{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	w, err := broker.NewWriter(broker.WriterConfig{Brokers: cfg.Kafka.Brokers, Topic: cfg.Cluster.RegistryTopic})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ch, err := registry.Apply(ctx, reg, w, cams, prune)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func cameraIDs(cams []config.Camera) []string {
	var ids []string
	for _, c := range cams {
		ids = append(ids, c.ID)
	}
	sort.Strings(ids)
	return ids
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func fleetCameras(n int, url string, zone string) []config.Camera {
	var cams []config.Camera
	for i := 1; i <= n; i++ {
		cams = append(cams, config.Camera{ID: fmt.Sprintf("cam-%02d", i), URL: url,
			Zones: []config.Zone{{ID: zone, Rules: []string{"illegal-parking"},
				Polygon: [][]float64{{0.02, 0.5}, {0.98, 0.5}, {0.98, 0.93}, {0.02, 0.93}}}}})
		config.ApplyCameraDefaults(&cams[len(cams)-1])
	}
	return cams
}
