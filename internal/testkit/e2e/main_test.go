package e2e

import (
	"cmp"
	"flag"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/testkit/testenv"
)

// How the e2e tests share the machine.
//
// Most of an e2e test's time is spent waiting, in real time, on a camera's
// stream, a dwell, a post-roll or a consumer group's session timeout: one
// at a time they took over ten minutes on two cores while using a fraction
// of one. So the tests that keep to their own topics, buckets, ports, data
// directories and processes run in parallel (parallel below), and only the
// CPU they use is rationed: each claims its measured share of a core from
// a budget of 80% of the cores (the rest is for Kafka and MinIO), the
// longest first, so the ones with detectors, several worker processes or a
// browser never pile up and slow one another past their time limits (the
// tests that time a failover or a case's lifecycle are among them). A test
// that asserts on a time measures it within its own run, so waiting for
// its share before it starts changes nothing.
//
// Two kinds of test do not call parallel. Go runs every top-level test
// that is not parallel first, one at a time, and releases the parallel
// ones only when all of those have returned:
//   - the tests that stop the shared Kafka or MinIO (services.sh
//     stop-kafka, stop-minio: TestHealthEventsSurviveOutageAndRestart,
//     TestOutboxMinIODown, TestOutboxKafkaDown), so that no other test
//     uses the services while they are down;
//   - TestCameraRestartHealthEvents, which times the reconnection against
//     the backoff cap and the sampling interval (7 s); it resumed at
//     5.0-6.1 s alone.

// defaultParallel replaces go test's default -parallel (GOMAXPROCS): the
// budget, not the core count, decides how many parallel tests run at once.
// An explicit -parallel is kept.
const defaultParallel = 32

func TestMain(m *testing.M) {
	flag.Parse()
	testenv.RaiseParallel(defaultParallel)
	os.Exit(m.Run())
}

// load is what a parallel test takes from the machine: its share of a
// core (percent: user+sys CPU time over wall time, measured for each test
// run alone under -race on two cores, child processes included, rounded
// up) and about how long it runs alone (the longest start first). A short
// test claims its real share too: it waits for room rather than starving
// the others of CPU during its burst.
type load struct {
	cpu  int
	time time.Duration
}

var (
	loadFleet      = load{60, 120 * time.Second} // three worker processes, twelve cameras (0.55)
	loadConsole    = load{50, 90 * time.Second}  // a fleet worker with two cameras, the console, Chromium (0.45)
	loadLifecycle  = load{25, 60 * time.Second}  // a worker process, then a worker (0.21)
	loadPicture    = load{25, 60 * time.Second}  // a worker without rules; encodes its scene first (0.19)
	loadStartDown  = load{15, 57 * time.Second}  // a worker mostly waiting on its services (0.13)
	loadParking    = load{20, 53 * time.Second}  // per codec: a worker with detection, the clip decoded (0.40 for both)
	loadWarning    = load{20, 50 * time.Second}  // a worker with detection, two rules on one car (as parking)
	loadPlate      = load{40, 45 * time.Second}  // a 1080p camera: encodes its scene, decodes full pictures, reads plates
	loadRecheck    = load{20, 45 * time.Second}  // a worker with detection, five re-checks at full resolution (as loadParking)
	loadSubStream  = load{30, 50 * time.Second}  // two cameras; re-encodes the scene twice first (0.26)
	loadPostRoll   = load{25, 33 * time.Second}  // a worker process, then a worker (0.22)
	loadOutboxKill = load{75, 5 * time.Second}   // encodes and uploads 1 MiB cases, a publisher process (0.74)
	loadOutboxFull = load{70, 3 * time.Second}   // encodes and queues 1 MiB cases (0.70)
	loadTLS        = load{60, 3 * time.Second}   // TLS handshakes, workers that stop at once (0.58)
	loadSASL       = load{15, 3 * time.Second}   // SASL handshakes (0.14)
)

// budget is the share of the machine the parallel tests may claim
// together: 80% of the cores (Kafka and MinIO need the rest).
var budget = newCPUBudget(80 * runtime.NumCPU())

// parallel marks t as a parallel test, then waits until its load fits in
// the budget; the load is returned after t and its cleanups have finished.
func parallel(t *testing.T, l load) {
	t.Helper()
	t.Parallel()
	start := time.Now()
	cpu := budget.acquire(l)
	if d := time.Since(start); d > time.Second {
		t.Logf("started after %v waiting for CPU (claims %d%% of a core)", d.Round(100*time.Millisecond), cpu)
	}
	t.Cleanup(func() { budget.release(cpu) })
}

// settle is how long the budget lets claims gather before it starts any:
// the parallel tests are released together and claim within a moment, in
// no particular order, and the longest should start first.
const settle = 250 * time.Millisecond

// cpuBudget hands out shares of the CPU. Waiting claims start, the longest
// first, as soon as they fit; a shorter one that fits may start before a
// longer one that does not.
type cpuBudget struct {
	mu       sync.Mutex
	total    int
	free     int
	waiting  []*cpuClaim
	settling *time.Timer
}

type cpuClaim struct {
	load
	ready chan struct{}
}

func newCPUBudget(total int) *cpuBudget {
	return &cpuBudget{total: total, free: total}
}

// acquire waits until l fits and returns the share it claimed (at most the
// whole budget, so that no claim waits forever).
func (b *cpuBudget) acquire(l load) int {
	l.cpu = max(0, min(l.cpu, b.total))
	c := &cpuClaim{load: l, ready: make(chan struct{})}
	b.mu.Lock()
	b.waiting = append(b.waiting, c)
	// A later claim of the same moment may be longer: start none yet.
	if b.settling == nil {
		b.settling = time.AfterFunc(settle, func() {
			b.mu.Lock()
			b.settling = nil
			b.grant()
			b.mu.Unlock()
		})
	}
	b.mu.Unlock()
	<-c.ready
	return l.cpu
}

func (b *cpuBudget) release(cpu int) {
	b.mu.Lock()
	b.free += cpu
	b.grant()
	b.mu.Unlock()
}

// grant starts every waiting claim that fits, the longest first (the
// earliest among equals).
func (b *cpuBudget) grant() {
	slices.SortStableFunc(b.waiting, func(x, y *cpuClaim) int { return cmp.Compare(y.time, x.time) })
	rest := b.waiting[:0]
	for _, c := range b.waiting {
		if c.cpu <= b.free {
			b.free -= c.cpu
			close(c.ready)
		} else {
			rest = append(rest, c)
		}
	}
	clear(b.waiting[len(rest):])
	b.waiting = rest
}
