package worker

import (
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/kafka/ktable"
)

// TestSuppressionRecordsChecked: a suppressions record counts only when it
// passes the schema (before: any JSON that decoded did, e.g. one with a
// region larger than the picture or no expiry).
func TestSuppressionRecordsChecked(t *testing.T) {
	t.Parallel()
	s := &suppressions{log: slog.New(slog.DiscardHandler), parsed: map[string]parsedSuppression{}}
	good := cases.Suppression{SchemaVersion: 1, ID: "s1", CameraID: "cam-1", Region: [4]float64{0.1, 0.1, 0.3, 0.3},
		Expires: time.Now().Add(time.Hour), User: "disp", At: time.Now()}
	raw, _ := json.Marshal(good)
	if p := s.parse(ktable.Entry{Key: "s1", Value: raw, Offset: 1}); p.err != nil || p.sp.ID != "s1" {
		t.Fatalf("a valid suppression refused: %v", p.err)
	}
	for name, v := range map[string]string{
		"not JSON":       `{`,
		"no camera":      `{"schema_version":1,"id":"s2","region":[0,0,1,1],"expires":"2030-01-01T00:00:00Z","user":"u","at":"2026-01-01T00:00:00Z"}`,
		"region too big": `{"schema_version":1,"id":"s3","camera_id":"c","region":[0,0,5,5],"expires":"2030-01-01T00:00:00Z","user":"u","at":"2026-01-01T00:00:00Z"}`,
		"wrong version":  `{"schema_version":9,"id":"s4","camera_id":"c","region":[0,0,1,1],"expires":"2030-01-01T00:00:00Z","user":"u","at":"2026-01-01T00:00:00Z"}`,
	} {
		if p := s.parse(ktable.Entry{Key: name, Value: []byte(v), Offset: 2}); p.err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// The same offset is not parsed again; a newer record is.
	s.parsed["s1"] = parsedSuppression{offset: 1, err: errCached}
	if p := s.parse(ktable.Entry{Key: "s1", Value: raw, Offset: 1}); !errors.Is(p.err, errCached) {
		t.Error("the record at the same offset was parsed again")
	}
	if p := s.parse(ktable.Entry{Key: "s1", Value: raw, Offset: 3}); p.err != nil {
		t.Error("a newer record was not parsed")
	}
}

var errCached = jsonErr("cached")

type jsonErr string

func (e jsonErr) Error() string { return string(e) }
