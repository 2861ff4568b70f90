package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/publisher"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/publisher/outbox"
)

// produceDuring accepts one case per second for d, starting at case first;
// every case must be accepted (written to the outbox) while the service is
// down. It returns the case ids.
func produceDuring(t *testing.T, r *rig, p *publisher.Publisher, first int, d time.Duration) []string {
	var ids []string
	for i, end := first, time.Now().Add(d); time.Now().Before(end); i++ {
		c, id := r.candidate(i)
		if err := p.Accept(c); err != nil {
			t.Fatalf("case %d not accepted during the outage: %v", i, err)
		}
		ids = append(ids, id)
		time.Sleep(time.Second)
	}
	return ids
}

// TestOutboxMinIODown stops the real MinIO while cases are produced: they
// wait in the outbox (nothing is published without its evidence) and all
// arrive after MinIO is back, with evidence matching its sha256. Not
// parallel: it stops the shared MinIO (main_test.go).
func TestOutboxMinIODown(t *testing.T) {
	script := servicesScript(t)
	r := newRig(t)
	p := r.publisher(t, 0, nil, nil)
	c, id := r.candidate(0)
	if err := p.Accept(c); err != nil {
		t.Fatal(err)
	}
	waitEmpty(t, p, 30*time.Second)

	t.Cleanup(func() { service(t, script, "start-minio") }) // never leave it stopped
	service(t, script, "stop-minio")
	down := downFor(t)
	ids := append([]string{id}, produceDuring(t, r, p, 1, down)...)
	st := p.Stats()
	if st.Published != 1 || st.Outbox.Entries != len(ids)-1 || st.Staged != 0 {
		t.Fatalf("while MinIO was down: %+v", st)
	}
	if n := len(r.readAll(t)); n != 1 {
		t.Fatalf("%d messages on the topic while MinIO was down, want 1", n)
	}
	t.Logf("MinIO down %v: %d cases queued, %d bytes, oldest %v", down, st.Outbox.Entries, st.Outbox.Bytes, st.Outbox.OldestAge.Round(time.Second))
	service(t, script, "start-minio")
	t.Logf("outbox empty %v after MinIO was back", waitEmpty(t, p, 2*time.Minute).Round(time.Millisecond))
	p.Close()
	seen, _ := r.check(t, ids)
	t.Logf("%d cases, %d messages, stats %+v", len(ids), sum(seen), p.Stats())
}

// TestOutboxKafkaDown stops the real Kafka broker while cases are produced:
// evidence is uploaded meanwhile, and after the broker is back every case
// arrives (duplicates, if any, share case_id and seq). Not parallel: it
// stops the shared broker (main_test.go).
func TestOutboxKafkaDown(t *testing.T) {
	script := servicesScript(t)
	r := newRig(t)
	p := r.publisher(t, 0, nil, nil)
	c, id := r.candidate(0)
	if err := p.Accept(c); err != nil {
		t.Fatal(err)
	}
	waitEmpty(t, p, 30*time.Second)

	t.Cleanup(func() { service(t, script, "start-kafka") })
	service(t, script, "stop-kafka")
	down := downFor(t)
	ids := append([]string{id}, produceDuring(t, r, p, 1, down)...)
	st := p.Stats()
	if st.Published != 1 || st.Outbox.Entries != len(ids)-1 {
		t.Fatalf("while Kafka was down: %+v", st)
	}
	// Evidence keeps being uploaded while the broker is down.
	for deadline := time.Now().Add(30 * time.Second); p.Stats().Staged < len(ids)-1; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("evidence not uploaded while Kafka was down: %+v", p.Stats())
		}
	}
	t.Logf("Kafka down %v: %d cases queued, %d bytes, oldest %v", down, st.Outbox.Entries, st.Outbox.Bytes, st.Outbox.OldestAge.Round(time.Second))
	service(t, script, "start-kafka")
	t.Logf("outbox empty %v after Kafka was back", waitEmpty(t, p, 3*time.Minute).Round(time.Millisecond))
	p.Close()
	seen, _ := r.check(t, ids)
	t.Logf("%d cases, %d messages (%d duplicates dropped by case_id+seq), stats %+v", len(ids), sum(seen), sum(seen)-len(seen), p.Stats())
}

// TestOutboxKill kills a publisher process with SIGKILL after it uploaded a
// case's evidence and before it published it (and, second, right after the
// broker acknowledged it); a new publisher on the same outbox publishes the
// case, without uploading again, once per (case_id, seq).
func TestOutboxKill(t *testing.T) { //nolint:tparallel // its subtests share its CPU claim (parallel, main_test.go): one after the other
	parallel(t, loadOutboxKill)
	for _, stage := range []string{publisher.HookStored, publisher.HookPublished} {
		t.Run("after-"+stage, func(t *testing.T) {
			r := newRig(t)
			_, id := r.candidate(0)
			cmd := exec.Command(os.Args[0], "-test.run=^TestOutboxHelperProcess$", "-test.v")
			cmd.Env = append(os.Environ(), "PATROL_OUTBOX_HELPER="+strings.Join([]string{
				stage, r.dir, r.topic, r.s3cfg.Bucket, strconv.FormatInt(r.t0.UnixNano(), 10)}, ","))
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("helper was not killed: %v\n%s", err, out)
			}
			before := len(r.readAll(t))
			if want := map[string]int{publisher.HookStored: 0, publisher.HookPublished: 1}[stage]; before != want {
				t.Fatalf("%d messages before the restart, want %d", before, want)
			}
			gs := &gatedStore{Store: r.store}
			p := r.publisher(t, 0, gs, nil)
			if st := p.Stats().Outbox; st.Recovered != 1 {
				t.Fatalf("restart recovered %d entries, want 1", st.Recovered)
			}
			waitEmpty(t, p, 30*time.Second)
			p.Close()
			seen, msgs := r.check(t, []string{id})
			if gs.puts.Load() != 0 {
				t.Errorf("evidence uploaded again %d times", gs.puts.Load())
			}
			switch {
			case stage == publisher.HookStored && (len(msgs) != 1 || seen[id+":1"] != 1):
				t.Fatalf("%d messages, want the case once", len(msgs))
			case stage == publisher.HookPublished && (len(msgs) != 2 || string(msgs[0].Value) != string(msgs[1].Value)):
				t.Fatalf("%d messages, want the same message twice", len(msgs))
			}
			t.Logf("killed after %s: %d message(s), %d distinct by (case_id, seq)", stage, len(msgs), len(seen))
		})
	}
}

// TestOutboxHelperProcess is the publisher process TestOutboxKill kills.
func TestOutboxHelperProcess(t *testing.T) {
	env := os.Getenv("PATROL_OUTBOX_HELPER")
	if env == "" {
		t.Skip("helper process of TestOutboxKill")
	}
	f := strings.Split(env, ",")
	stage, t0 := f[0], must(strconv.ParseInt(f[4], 10, 64))
	broker, s3cfg := services(t)
	encodeSynth(t)
	s3cfg.Bucket = f[3]
	r := &rig{broker: broker, s3cfg: s3cfg, dir: f[1], topic: f[2], t0: time.Unix(0, t0)}
	r.openStore(t)
	p := r.publisher(t, 0, nil, func(s, id string) {
		if s == stage {
			fmt.Fprintf(os.Stderr, "helper: SIGKILL at %s of %s\n", s, id)
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
	})
	c, _ := r.candidate(0)
	if err := p.Accept(c); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Second)
	t.Fatal("not killed within 30s")
}

// TestOutboxFull fills the outbox (uploads held back) to its byte bound: new
// cases are refused with a counted outbox.ErrFull, and the queued ones are
// delivered intact once uploads go through.
func TestOutboxFull(t *testing.T) {
	parallel(t, loadOutboxFull)
	r := newRig(t)
	gs := &gatedStore{Store: r.store, open: make(chan struct{})}
	p := r.publisher(t, 4<<20, gs, nil)
	var ids []string
	var err error
	for i := 0; err == nil; i++ {
		c, id := r.candidate(i)
		if err = p.Accept(c); err == nil {
			ids = append(ids, id)
		}
		if i > 100 {
			t.Fatal("4 MiB outbox never full")
		}
	}
	if !errors.Is(err, outbox.ErrFull) || !strings.Contains(err.Error(), "outbox full") {
		t.Fatalf("refusal: %v", err)
	}
	c, _ := r.candidate(len(ids) + 1)
	err2 := p.Accept(c)
	st := p.Stats()
	if !errors.Is(err2, outbox.ErrFull) || st.Outbox.Refused != 2 || st.Outbox.Entries != len(ids) || st.Outbox.Bytes > 4<<20 {
		t.Fatalf("second refusal %v, stats %+v", err2, st)
	}
	t.Logf("%d cases queued (%d bytes of %d), then refused: %v", len(ids), st.Outbox.Bytes, st.Outbox.MaxBytes, err)
	close(gs.open)
	waitEmpty(t, p, time.Minute)
	p.Close()
	r.check(t, ids)
}

func sum(m map[string]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// downFor is how long a service stays down: PATROL_FAULT_DOWN, default 20s.
func downFor(t *testing.T) time.Duration {
	if s := os.Getenv("PATROL_FAULT_DOWN"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("PATROL_FAULT_DOWN: %v", err)
		}
		return d
	}
	return 20 * time.Second
}

// gatedStore holds every Put until open is closed, and counts Puts.
type gatedStore struct {
	evidence.Store
	open chan struct{}
	puts atomic.Int64
}

func (g *gatedStore) Put(ctx context.Context, o evidence.Object) (evidence.Stored, error) {
	if g.open != nil {
		select {
		case <-g.open:
		case <-ctx.Done():
			return evidence.Stored{}, ctx.Err()
		}
	}
	g.puts.Add(1)
	return g.Store.Put(ctx, o)
}
