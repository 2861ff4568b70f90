package worker

import (
	"log/slog"
	"testing"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/kafka"
	"github.com/patrol-city/patrol/internal/kafka/ktable"
)

// TestRechecksRecords: what the worker reads on the re-checks topic is
// validated where it is parsed: a broken message is counted and skipped
// (never a panic), a request waits, its answer ends the wait.
func TestRechecksRecords(t *testing.T) {
	t.Parallel()
	cfg := &config.Config{Worker: "w", Kafka: config.Kafka{Brokers: []string{"127.0.0.1:1"}}}
	cfg.ApplyDefaults()
	r, err := newRechecks(cfg, kafka.Security{}, slog.New(slog.DiscardHandler), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.table.Close()
	const (
		req = `{"schema_version":1,"type":"request","request_id":"r1","case_id":"c1","camera_id":"cam","requested_at":"2099-01-01T00:00:00Z"}`
		ans = `{"schema_version":1,"type":"answer","request_id":"r1","case_id":"c1","camera_id":"cam","worker":"w2","status":"gone","answered_at":"2099-01-01T00:00:01Z"}`
	)
	for _, e := range []ktable.Entry{
		{Key: "cam", Value: []byte(`{"type":"request"`)},
		{Key: "cam", Value: []byte(`{"schema_version":1,"type":"request","request_id":"../r","case_id":"c1","camera_id":"cam","requested_at":"2099-01-01T00:00:00Z"}`)},
		{Key: "other", Value: []byte(req)},
		{Key: "cam", Value: nil},
		{Key: "cam", Value: []byte(req)},
	} {
		r.onRecord(e)
	}
	if st := r.Rechecks(); st.Invalid != 3 || st.Requests != 1 || st.Pending != 1 {
		t.Fatalf("after the requests: %+v, want 3 invalid, 1 request waiting", st)
	}
	r.onRecord(ktable.Entry{Key: "cam", Value: []byte(ans)})
	if st := r.Rechecks(); st.Pending != 0 {
		t.Fatalf("after the answer: %+v, want none waiting", st)
	}
	if a, ok := r.book.Answered("r1"); !ok || a.Worker != "w2" {
		t.Fatalf("answer of r1: %+v %v", a, ok)
	}
}
