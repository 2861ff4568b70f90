package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/testkit/runtimes"
	"github.com/patrol-city/patrol/internal/worker"
)

// The e2e tests run their workers through one harness: runWorker (or
// startWorker) builds the worker, runs it in a goroutine that belongs to
// the test and waits until it is ready; the test's cleanup stops it and
// reports an error of Run that the test did not take itself.

// readyTimeout bounds the wait for a worker's Ready: loading the model
// under the race detector while other tests run, and a first check of
// each service (up to 5 s each when one does not answer).
const readyTimeout = 2 * time.Minute

// workerRun is a worker run by the harness. The embedded Worker gives its
// MetricsAddr, Pipeline and ModelSHA (valid: the harness returns a
// workerRun once it is ready); stop it with Stop, not Close, to see Run's
// result.
type workerRun struct {
	*worker.Worker
	done  chan struct{} // closed when Run has returned
	err   error         // Run's result, set before done is closed
	taken atomic.Bool   // Run's result went to the test (Stop, Wait, runWorker)
}

// runWorker builds a worker with cfg and deps (worker.New must accept
// them: it only validates), runs it with ctx in the background and waits
// until it is ready or Run returns early. It returns Run's early error
// (nil when the worker is up): a worker that must not start fails in Run,
// before Ready. The test fails when New refuses the configuration or the
// worker is not ready within readyTimeout.
//
// deps.Fetcher defaults to the asset mirror's (runtimes.Fetcher) and
// deps.Logger to Info on stderr (a nil logger is silent now).
//
// The worker is stopped when the test ends (after t.Context ends), and an
// error of Run the test did not take with Stop or Wait fails it.
func runWorker(t *testing.T, ctx context.Context, cfg *config.Config, deps worker.Deps) (*workerRun, error) {
	t.Helper()
	if deps.Fetcher == nil {
		deps.Fetcher = runtimes.Fetcher(assetMirror(t))
	}
	if deps.Logger == nil {
		deps.Logger = stderrLog(slog.LevelInfo)
	}
	w, err := worker.New(cfg, deps)
	if err != nil {
		t.Fatalf("worker.New: %v", err)
	}
	r := &workerRun{Worker: w, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = w.Run(ctx)
	}()
	t.Cleanup(func() {
		w.Close()
		<-r.done
		if r.err != nil && !r.taken.Load() {
			t.Errorf("worker %s: Run: %v", cfg.Worker, r.err)
		}
	})
	timer := time.NewTimer(readyTimeout)
	defer timer.Stop()
	select {
	case <-w.Ready():
		return r, nil
	case <-r.done:
		r.taken.Store(true)
		if r.err == nil {
			return r, errors.New("worker: Run returned before Ready without an error")
		}
		return r, r.err
	case <-timer.C:
		t.Fatalf("worker %s not ready after %v", cfg.Worker, readyTimeout)
		return nil, nil
	}
}

// startWorker is runWorker for a worker that must start: Run's early
// error fails the test.
func startWorker(t *testing.T, ctx context.Context, cfg *config.Config, deps worker.Deps) *workerRun {
	t.Helper()
	r, err := runWorker(t, ctx, cfg, deps)
	if err != nil {
		t.Fatalf("worker %s did not start: %v", cfg.Worker, err)
	}
	return r
}

// Stop stops the worker (Close: its cameras stop, the cases in flight are
// published) and returns Run's result. It may be called more than once.
func (r *workerRun) Stop() error {
	r.Close()
	return r.Wait()
}

// Wait waits until Run returns by itself (its context ended) and returns
// its result.
func (r *workerRun) Wait() error {
	<-r.done
	r.taken.Store(true)
	return r.err
}

// healthzDoc is the part of a worker's /healthz the tests read.
type healthzDoc struct {
	Status  string `json:"status"`
	Cameras []struct {
		ID, State string
	} `json:"cameras"`
	Dependencies []struct {
		Name  string `json:"name"`
		Up    bool   `json:"up"`
		Error string `json:"error"`
	} `json:"dependencies"`
}

// readHealthz reads /healthz at addr; the test fails when it does not
// answer.
func readHealthz(t *testing.T, addr string) healthzDoc {
	t.Helper()
	var h healthzDoc
	if err := json.Unmarshal([]byte(httpGet(t, "http://"+addr+"/healthz")), &h); err != nil {
		t.Fatal(err)
	}
	return h
}

// dep reports whether the dependency name is listed, and up.
func (h healthzDoc) dep(name string) (up, found bool) {
	for _, d := range h.Dependencies {
		if d.Name == name {
			return d.Up, true
		}
	}
	return false, false
}

// camera is the state of camera id ("" when not listed).
func (h healthzDoc) camera(id string) string {
	for _, c := range h.Cameras {
		if c.ID == id {
			return c.State
		}
	}
	return ""
}

// healthz reads the worker's /healthz.
func (r *workerRun) healthz(t *testing.T) healthzDoc {
	t.Helper()
	return readHealthz(t, r.MetricsAddr())
}

// waitCamera polls /healthz until camera id is in state (streaming,
// offline, ...) and fails the test after limit.
func (r *workerRun) waitCamera(t *testing.T, limit time.Duration, id, state string) {
	t.Helper()
	waitFor(t, limit, "camera "+id+" "+state, func() bool { return r.healthz(t).camera(id) == state })
}

// waitFor polls ok every 100 ms until it holds; the test fails after d.
func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	if !poll(d, ok) {
		t.Fatalf("timed out after %v waiting for %s", d, what)
	}
}

// poll calls ok every 100 ms until it holds (true) or d has passed
// (false; ok is called once more at the deadline).
func poll(d time.Duration, ok func() bool) bool {
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}

// stderrLog is a text logger on stderr from level on.
func stderrLog(level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// httpGet returns the body of a 200 answer to GET url; anything else
// fails the test.
func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}
