package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher/broker"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/worker"
)

// recheckDeadline is the bound from request to answer for a
// streaming camera.
const recheckDeadline = 10 * time.Second

// TestRecheck plays the parking-e2e scene (a car parks 4-22 s, drives off
// by 26 s; another passes 27-39 s) into a worker on the real Kafka and
// MinIO and asks about the parked car's case on patrol.rechecks.v1:
// present while it stands (with a fresh full-resolution picture in
// MinIO), gone after it left, the same answer again for a repeated
// request id, "case not known" for a case the worker does not know, and
// unknown (camera offline) once the camera is stopped. Every answer comes
// within 10 s of its request and passes the topic's schema.
func TestRecheck(t *testing.T) {
	parallel(t, loadRecheck)
	brokerAddr, s3cfg := services(t)
	cam := newSimCamera(t, nil, "parking-e2e", media.H264, "e2e-recheck")
	truth := cam.Scene.Truth()
	cfg := camConfig(t, brokerAddr, s3cfg, cam.ID, cam.URL(), func(c *config.Config) {
		c.Cameras[0].Zones = noParking(0.55, 0.99)
		c.Rules = parkingRule(8*time.Second, "car", "truck", "bus", "motorcycle")
		c.Evidence.PreRoll, c.Evidence.PostRoll = 3*time.Second, 2*time.Second
		c.Ingest = config.Ingest{BackoffBase: 500 * time.Millisecond, BackoffMax: time.Second}
		c.Monitoring.OfflineAfter, c.Monitoring.StallTimeout = 2, 2*time.Second
		// A topic of this test: no other test's worker or fleet answers.
		c.Kafka.RechecksTopic = fmt.Sprintf("patrol.rechecks.e2e-%d", rand.Uint32())
	})
	rc := newRecheckClient(t, cfg)
	casesFrom := topicEnd(t, brokerAddr, cfg.Kafka.CasesTopic)
	w := startWorker(t, t.Context(), cfg, worker.Deps{})
	start := cam.play(t)

	var opened wireCase
	waitFor(t, 30*time.Second, "the parked car's case", func() bool {
		for _, c := range camCases(t, brokerAddr, cfg.Kafka.CasesTopic, casesFrom, cam.ID, 300*time.Millisecond) {
			if c.Event == cases.EventOpened {
				opened = c
				return true
			}
		}
		return false
	})
	parked := truth.Actors[0].Rests[0]
	if d := time.Since(start); d > parked.To-time.Second {
		t.Fatalf("case opened %v into the scene, too late to ask while the car stands (until %v)", d, parked.To)
	}

	present := rc.ask(t, "present", opened.CaseID, cam.ID, nil)
	if present.Status != cases.RecheckPresent || present.Picture == nil {
		t.Fatalf("while the car stands: %+v, want present with a picture", present)
	}
	checkRecheckPicture(t, s3cfg, present, truth.Size[0])

	// After the car left (26 s), before the passing car enters (27 s).
	time.Sleep(time.Until(start.Add(parked.To + 5*time.Second)))
	gone := rc.ask(t, "gone", opened.CaseID, cam.ID, nil)
	if gone.Status != cases.RecheckGone || gone.Picture == nil {
		t.Fatalf("after the car left: %+v, want gone with a picture", gone)
	}
	// The same request id again: the same answer, not a new look.
	again := rc.ask(t, "present", opened.CaseID, cam.ID, nil)
	if again.Status != present.Status || again.Picture.Key != present.Picture.Key || !again.AnsweredAt.Equal(*present.AnsweredAt) {
		t.Errorf("repeated request: %+v, want the first answer %+v", again, present)
	}
	unknownCase := rc.ask(t, "no-case", cam.ID+"-20260101T000000Z-0000000000", cam.ID, nil)
	if unknownCase.Status != cases.RecheckUnknown || unknownCase.Reason != cases.RecheckNoCase {
		t.Errorf("unknown case: %+v, want unknown %q", unknownCase, cases.RecheckNoCase)
	}

	cam.Server.Close()
	w.waitCamera(t, 30*time.Second, cam.ID, "offline")
	off := rc.ask(t, "offline", opened.CaseID, cam.ID, nil)
	if off.Status != cases.RecheckUnknown || !strings.HasPrefix(off.Reason, cases.RecheckOffline) || off.Picture != nil {
		t.Errorf("camera stopped: %+v, want unknown %q", off, cases.RecheckOffline)
	}
	if n := rc.answersTo(t, "present"); n != 2 {
		t.Errorf("request present: %d answers, want 2 (one per request message)", n)
	}
	m := httpGet(t, "http://"+w.MetricsAddr()+"/metrics")
	for _, want := range []string{`patrol_recheck_answers_total{status="present",worker="e2e"} 1`, `patrol_recheck_answers_total{status="gone",worker="e2e"} 1`,
		`patrol_recheck_answers_total{status="unknown",worker="e2e"} 2`, `patrol_recheck_repeated_total{worker="e2e"} 1`,
		`patrol_recheck_requests_total{worker="e2e"} 5`, `patrol_recheck_pending{worker="e2e"} 0`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// recheckClient asks on a test's re-checks topic and reads the answers.
type recheckClient struct {
	cfg  *config.Config
	out  *broker.Writer
	from int64
	run  string // makes request ids unique to the test run
}

func newRecheckClient(t *testing.T, cfg *config.Config) *recheckClient {
	t.Helper()
	from := topicEnd(t, cfg.Kafka.Brokers[0], cfg.Kafka.RechecksTopic)
	w, err := broker.NewWriter(broker.WriterConfig{Brokers: cfg.Kafka.Brokers, Topic: cfg.Kafka.RechecksTopic})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	return &recheckClient{cfg: cfg, out: w, from: from, run: fmt.Sprintf("%d", rand.Uint32())}
}

// ask sends request name about a case and returns its answer, which must
// come within recheckDeadline and pass the schema.
func (c *recheckClient) ask(t *testing.T, name, caseID, camera string, subject *cases.RecheckSubject) cases.Recheck {
	t.Helper()
	asked, sent := c.send(t, name, caseID, camera, subject)
	got := c.wait(t, name, sent, recheckDeadline+5*time.Second)
	took := got.AnsweredAt.Sub(asked)
	if got.AnsweredAt.Before(asked) {
		took = time.Since(sent) // a repeated answer keeps its first time
	}
	t.Logf("re-check %s: %s %q (worker %s, picture %v) %v after the request", name, got.Status, got.Reason, got.Worker, got.Picture != nil, took.Round(time.Millisecond))
	if took > recheckDeadline {
		t.Errorf("re-check %s answered %v after the request, want within %v", name, took, recheckDeadline)
	}
	return got
}

// send writes request name (requested_at: asked) and returns when it was
// written.
func (c *recheckClient) send(t *testing.T, name, caseID, camera string, subject *cases.RecheckSubject) (asked, sent time.Time) {
	t.Helper()
	now := time.Now().UTC()
	req := cases.Recheck{SchemaVersion: cases.SchemaVersion, Type: cases.RecheckRequest, RequestID: c.run + "-" + name,
		CaseID: caseID, CameraID: camera, RequestedAt: &now, Subject: subject, User: "e2e"}
	raw, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := cases.ValidateRecheckJSON(raw); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := c.out.WriteCase(ctx, camera, raw); err != nil {
		t.Fatal(err)
	}
	return now, time.Now()
}

// wait returns the answer to request name logged after sent; the test
// fails after limit.
func (c *recheckClient) wait(t *testing.T, name string, sent time.Time, limit time.Duration) cases.Recheck {
	t.Helper()
	var got *cases.Recheck
	waitFor(t, limit, "the answer to "+name, func() bool {
		got = c.answer(t, c.run+"-"+name, sent)
		return got != nil
	})
	return *got
}

// answer is the newest answer to request id logged after sent (nil:
// none yet).
func (c *recheckClient) answer(t *testing.T, id string, sent time.Time) *cases.Recheck {
	var got *cases.Recheck
	for _, m := range readMessages(t, c.cfg.Kafka.Brokers[0], c.cfg.Kafka.RechecksTopic, c.from, 300*time.Millisecond) {
		if err := cases.ValidateRecheckJSON(m.Value); err != nil {
			t.Fatalf("re-check message fails the schema: %v\n%s", err, m.Value)
		}
		r, err := cases.ParseRecheck(string(m.Key), m.Value)
		if err != nil {
			t.Fatalf("re-check message refused: %v", err)
		}
		if r.Type == cases.RecheckAnswer && r.RequestID == id && !m.Time.Before(sent.Add(-time.Second)) {
			got = &r
		}
	}
	return got
}

// answersTo counts the answers to request name on the topic.
func (c *recheckClient) answersTo(t *testing.T, name string) int {
	n := 0
	for _, m := range readMessages(t, c.cfg.Kafka.Brokers[0], c.cfg.Kafka.RechecksTopic, c.from, 300*time.Millisecond) {
		r, err := cases.ParseRecheck(string(m.Key), m.Value)
		if err == nil && r.Type == cases.RecheckAnswer && r.RequestID == c.run+"-"+name {
			n++
		}
	}
	return n
}

// checkRecheckPicture: the answer's picture is in MinIO, matches its
// sha256 and size, and decodes at the camera's full width.
func checkRecheckPicture(t *testing.T, s3cfg evidence.S3Config, a cases.Recheck, width int) {
	t.Helper()
	store, err := evidence.NewS3(context.Background(), s3cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := a.Picture
	if p.Role != "recheck" || p.Kind != "snapshot" {
		t.Errorf("picture %s/%s, want snapshot/recheck", p.Kind, p.Role)
	}
	data, err := store.Get(context.Background(), p.Key)
	if err != nil {
		t.Fatalf("picture %s: %v", p.Key, err)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != p.SHA256 || int64(len(data)) != p.Size {
		t.Fatalf("picture %s: sha256/size differ from the answer", p.Key)
	}
	img, err := gocv.IMDecode(data, gocv.IMReadColor)
	if err != nil || img.Empty() || img.Cols() != width {
		t.Fatalf("picture does not decode at the frame width %d: %v", width, err)
	}
	img.Close()
}
