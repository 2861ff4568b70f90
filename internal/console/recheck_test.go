package console

import (
	"io"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/patrol-city/patrol/cases"
)

// TestStoreRechecks: requests and answers of the re-checks topic become
// the case's re-checks (newest first), a repeated answer keeps the
// first, the answer's picture is served for the case only, and invalid
// messages are refused.
func TestStoreRechecks(t *testing.T) {
	t.Parallel()
	s := newStore("cases", "health", "verdicts", "rechecks", slog.New(slog.NewTextHandler(io.Discard, nil)))
	const (
		req1 = `{"schema_version":1,"type":"request","request_id":"r1","case_id":"c1","camera_id":"cam","requested_at":"2026-12-02T10:00:00Z","user":"disp"}`
		ans1 = `{"schema_version":1,"type":"answer","request_id":"r1","case_id":"c1","camera_id":"cam","worker":"w1","status":"present","score":0.8,"answered_at":"2026-12-02T10:00:01Z","picture":{"kind":"snapshot","role":"recheck","bucket":"b","key":"cam/2026/12/02/c1/recheck-r1.jpg","sha256":"85e3b5fa3d94a7fab68a9de66eb7a9af760c21929297e8d1234e370a2b8761ef","size":10,"content_type":"image/jpeg"}}`
		rep1 = `{"schema_version":1,"type":"answer","request_id":"r1","case_id":"c1","camera_id":"cam","worker":"w2","status":"unknown","reason":"camera offline","answered_at":"2026-12-02T10:00:05Z"}`
		req2 = `{"schema_version":1,"type":"request","request_id":"r2","case_id":"c1","camera_id":"cam","requested_at":"2026-12-02T10:01:00Z"}`
	)
	for _, m := range []string{req1, ans1, rep1, req2} {
		if err := s.addRecheck("cam", []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []struct{ key, msg string }{
		{"cam", `{"schema_version":1,"type":"request","request_id":"../x","case_id":"c1","camera_id":"cam","requested_at":"2026-12-02T10:00:00Z"}`},
		{"other", req1},
		{"cam", `[]`},
	} {
		if err := s.addRecheck(bad.key, []byte(bad.msg)); err == nil {
			t.Errorf("accepted %s (key %s)", bad.msg, bad.key)
		}
	}
	s.mu.RLock()
	got := s.rechecksOf("c1")
	s.mu.RUnlock()
	if len(got) != 2 || got[0].RequestID != "r2" || got[0].Status != "" || got[1].Status != "present" || got[1].Worker != "w1" ||
		got[1].User != "disp" || got[1].Picture != "/evidence/c1/recheck-r1.jpg" {
		t.Fatalf("rechecks %+v", got)
	}
	if _, ok := s.evidence("c1", "recheck-r1.jpg"); !ok {
		t.Error("the answer's picture is not served for its case")
	}
	if _, ok := s.evidence("c2", "recheck-r1.jpg"); ok {
		t.Error("the answer's picture is served for another case")
	}
}

// TestStatsCountRechecks: the figures count a case's answered re-checks
// and those answered gone; an unanswered request does not count.
func TestStatsCountRechecks(t *testing.T) {
	t.Parallel()
	s := newStore("cases", "health", "verdicts", "rechecks", slog.New(slog.NewTextHandler(io.Discard, nil)))
	at := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	s.apply(&kgo.Record{Topic: "cases", Value: testCase("c1", "cam", "z1", cases.EventOpened, 1, at)})
	for _, m := range []string{
		`{"schema_version":1,"type":"answer","request_id":"r1","case_id":"c1","camera_id":"cam","worker":"w1","status":"present","answered_at":"2026-12-02T08:10:00Z"}`,
		`{"schema_version":1,"type":"answer","request_id":"r2","case_id":"c1","camera_id":"cam","worker":"w1","status":"gone","answered_at":"2026-12-02T08:20:00Z"}`,
		`{"schema_version":1,"type":"request","request_id":"r3","case_id":"c1","camera_id":"cam","requested_at":"2026-12-02T08:30:00Z"}`,
	} {
		if err := s.addRecheck("cam", []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	cs, reach := s.statsSnapshot()
	st, err := computeStats(cs, reach, url.Values{"from": {"2026-12-01"}, "to": {"2026-12-03"}}, time.UTC, at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if st.Total.Rechecks != 2 || st.Total.RecheckGone != 1 {
		t.Fatalf("rechecks %d, gone %d; want 2 and 1", st.Total.Rechecks, st.Total.RecheckGone)
	}
}
