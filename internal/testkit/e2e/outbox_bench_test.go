package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/publisher"
	"github.com/patrol-city/patrol/internal/publisher/broker"
	"github.com/patrol-city/patrol/internal/publisher/clip"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/publisher/outbox"
	"github.com/patrol-city/patrol/internal/publisher/snapshot"
)

// TestOutboxThroughput measures, against the real MinIO and Kafka, with about
// 1 MiB of evidence per case: cases per second through Accept (clip, snapshot,
// outbox), upload and publish; the delivery latency of one case at a time;
// and the latency the outbox adds (fsynced enqueue and state updates)
// compared with uploading and publishing directly. It runs only with
// PATROL_OUTBOX_BENCH=1 (PATROL_OUTBOX_BENCH_CASES cases, default 60).
func TestOutboxThroughput(t *testing.T) {
	if os.Getenv("PATROL_OUTBOX_BENCH") != "1" {
		t.Skip("measurement: set PATROL_OUTBOX_BENCH=1")
	}
	n := 60
	if s := os.Getenv("PATROL_OUTBOX_BENCH_CASES"); s != "" {
		if _, err := fmt.Sscan(s, &n); err != nil {
			t.Fatalf("PATROL_OUTBOX_BENCH_CASES: %v", err)
		}
	}
	r := newRig(t)
	r.t0 = time.Now().Add(-time.Hour) // every candidate's post-roll is over
	published := make(chan time.Time, 2*n)
	p := r.publisher(t, 0, nil, nil, func(c *publisher.Config, d *publisher.Deps) {
		c.DrainTimeout = time.Minute
		d.OnPublished = func(*cases.Case) { published <- time.Now() }
	})

	// Throughput: accept n cases back to back while delivery runs.
	start := time.Now()
	var accept []time.Duration
	for i := range n {
		c, _ := r.candidate(i)
		t0 := time.Now()
		if err := p.Accept(c); err != nil {
			t.Fatal(err)
		}
		accept = append(accept, time.Since(t0))
	}
	accepted := time.Since(start)
	for range n {
		select {
		case <-published:
		case <-time.After(5 * time.Minute):
			t.Fatalf("not all published: %+v", p.Stats())
		}
	}
	total := time.Since(start)
	probe := outboxEntry(t, r)
	mib := 0.0
	for _, o := range probe.Objects {
		mib += float64(len(o.Data)) / (1 << 20)
	}
	t.Logf("throughput: %d cases of %.2f MiB evidence accepted in %v (%.1f/s), all published after %v: %.1f cases/s, %.1f MiB/s; Accept p50 %v p95 %v",
		n, mib, accepted.Round(time.Millisecond), float64(n)/accepted.Seconds(), total.Round(time.Millisecond),
		float64(n)/total.Seconds(), float64(n)*mib/total.Seconds(), pct(accept, 50), pct(accept, 95))

	// Latency: one case at a time, Accept to broker acknowledgement.
	var lat []time.Duration
	for i := n; i < n+20; i++ {
		c, _ := r.candidate(i)
		t0 := time.Now()
		if err := p.Accept(c); err != nil {
			t.Fatal(err)
		}
		lat = append(lat, (<-published).Sub(t0))
	}
	t.Logf("latency one at a time (accept to published): p50 %v p95 %v", pct(lat, 50), pct(lat, 95))

	// Direct: the same uploads and publish without the outbox.
	kw, err := broker.NewWriter(broker.WriterConfig{Brokers: []string{r.broker}, Topic: r.topic + ".direct"})
	if err != nil {
		t.Fatal(err)
	}
	defer kw.Close()
	topicEnd(t, r.broker, r.topic+".direct")
	var direct, enq []time.Duration
	ctx := context.Background()
	for i := range 20 {
		t0 := time.Now()
		for _, o := range probe.Objects {
			o.Key = fmt.Sprintf("direct/%d/%s", i, o.Name)
			if _, err := r.store.Put(ctx, evidence.Object{Key: o.Key, ContentType: o.ContentType, Data: o.Data}); err != nil {
				t.Fatal(err)
			}
		}
		if err := kw.WriteCase(ctx, "cam-outbox", probe.Case); err != nil {
			t.Fatal(err)
		}
		direct = append(direct, time.Since(t0))
	}
	// The outbox's own work per case: enqueue, two MarkStored, SetMessage, Done.
	ob, err := outbox.New(outbox.Config{Dir: t.TempDir()}, outbox.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	for range 20 {
		t0 := time.Now()
		id, err := ob.Enqueue(probe)
		if err != nil {
			t.Fatal(err)
		}
		e, _ := ob.Load(id)
		for _, o := range e.Objects {
			st := evidence.Stored{Bucket: "b", Key: o.Key, SHA256: o.SHA256, Size: o.Size, ContentType: o.ContentType}
			if err := ob.MarkStored(e, o.Name, st); err != nil {
				t.Fatal(err)
			}
		}
		if err := ob.SetMessage(e, probe.Case); err != nil {
			t.Fatal(err)
		}
		if err := ob.Done(id); err != nil {
			t.Fatal(err)
		}
		enq = append(enq, time.Since(t0))
	}
	t.Logf("direct upload+publish p50 %v p95 %v; outbox work per case (enqueue 1 MiB fsynced + 4 fsynced updates) p50 %v p95 %v",
		pct(direct, 50), pct(direct, 95), pct(enq, 50), pct(enq, 95))
}

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)].Round(100 * time.Microsecond)
}

// outboxEntry is an outbox entry like the publisher's: the clip and snapshot
// of a rig candidate and a case JSON.
func outboxEntry(t *testing.T, r *rig) outbox.Pending {
	c, id := r.candidate(0)
	var clipBuf bytes.Buffer
	params, units := c.Clips.Range(time.Time{}, time.Time{})
	if _, err := clip.Write(&clipBuf, params, units); err != nil {
		t.Fatal(err)
	}
	snap, err := snapshot.Encode(&c.Frame, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := json.Marshal(cases.Case{CaseID: id, Camera: c.Camera, Rule: c.Rule, Objects: c.Objects})
	if err != nil {
		t.Fatal(err)
	}
	return outbox.Pending{Label: id, Case: cs, Objects: []outbox.Object{
		{Name: "clip.mp4", Key: "probe/clip.mp4", ContentType: "video/mp4", Data: clipBuf.Bytes()},
		{Name: "snapshot.jpg", Key: "probe/snapshot.jpg", ContentType: "image/jpeg", Data: snap},
	}}
}
