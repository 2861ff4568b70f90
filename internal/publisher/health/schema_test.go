package health_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/publisher/health"
)

var at = time.Date(2026, 11, 27, 12, 41, 7, 120_553_901, time.FixedZone("CST", 8*3600))

func eventJSON(t *testing.T, e health.Event) []byte {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func eventDoc(t *testing.T) map[string]any {
	t.Helper()
	e := health.NewEvent("district-a-worker-1", "cam-0001", "人民路与解放路交叉口东北角",
		health.KindState, health.StateOffline, health.StateConnecting, "3 connection attempts failed: dial tcp 192.0.2.10:554: i/o timeout", at)
	var m map[string]any
	if err := json.Unmarshal(eventJSON(t, e), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNewEventValidates(t *testing.T) {
	for _, tc := range []struct{ kind, state, previous, reason string }{
		{health.KindState, health.StateConnecting, "", ""},
		{health.KindState, health.StateStreaming, health.StateConnecting, ""},
		{health.KindState, health.StateStalled, health.StateStreaming, "no data for 10s"},
		{health.KindState, health.StateOffline, health.StateConnecting, "3 connection attempts failed"},
		{health.KindPicture, health.PictureFrozen, health.PictureOK, "picture unchanged for 60s"},
		{health.KindPicture, health.PictureCovered, health.PictureOK, "picture dark or uniform for 30s"},
		{health.KindPicture, health.PictureOK, health.PictureCovered, "picture back"},
		{health.KindDecoder, health.DecoderStuck, health.DecoderOK, "decode call did not return within 5s; decoder replaced"},
		{health.KindDecoder, health.DecoderDegraded, health.DecoderOK, "48 of the last 50 units undecodable"},
		{health.KindDecoder, health.DecoderOK, health.DecoderStuck, "the new decoder decodes"},
	} {
		t.Run(tc.kind+"/"+tc.state, func(t *testing.T) {
			e := health.NewEvent("district-a-worker-1", "cam-0001", "人民路与解放路交叉口东北角", tc.kind, tc.state, tc.previous, tc.reason, at)
			if err := cases.ValidateHealthJSON(eventJSON(t, e)); err != nil {
				t.Fatalf("NewEvent output rejected: %v", err)
			}
		})
	}
}

func TestHealthEventInvalid(t *testing.T) {
	for _, tc := range []struct {
		name, field string
		value       any // nil: remove the field
	}{
		{"no schema_version", "schema_version", nil},
		{"no event_id", "event_id", nil},
		{"no worker", "worker", nil},
		{"no camera_id", "camera_id", nil},
		{"no camera_name", "camera_name", nil},
		{"no kind", "kind", nil},
		{"no state", "state", nil},
		{"no at", "at", nil},
		{"schema_version 2", "schema_version", 2},
		{"empty camera_id", "camera_id", ""},
		{"unknown kind", "kind", "audio"},
		{"unknown state", "state", "broken"},
		{"picture state on state kind", "state", health.PictureFrozen},
		{"previous picture state on state kind", "previous", health.PictureOK},
		{"at not a time", "at", "12:41"},
		{"at zero", "at", "0001-01-01T00:00:00Z"},
		{"reason not string", "reason", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := eventDoc(t)
			if tc.value == nil {
				delete(doc, tc.field)
			} else {
				doc[tc.field] = tc.value
			}
			b, _ := json.Marshal(doc)
			err := cases.ValidateHealthJSON(b)
			var se *cases.SchemaError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want a *cases.SchemaError", err)
			}
			if !slices.ContainsFunc(se.Problems, func(p cases.Problem) bool { return p.Field == tc.field }) {
				t.Fatalf("error does not name %s: %v", tc.field, err)
			}
		})
	}
	doc := eventDoc(t)
	doc["kind"], doc["state"], doc["previous"] = health.KindPicture, health.StateStalled, health.PictureOK
	b, _ := json.Marshal(doc)
	if err := cases.ValidateHealthJSON(b); err == nil || !strings.Contains(err.Error(), "state") {
		t.Errorf("connection state on picture kind: %v", err)
	}
	if err := cases.ValidateHealthJSON(eventJSON(t, health.Event{})); err == nil {
		t.Error("zero Event accepted")
	}
}

// TestHealthSchemaMatchesGoType checks that the schema and the Event type
// describe the same JSON fields.
func TestHealthSchemaMatchesGoType(t *testing.T) {
	raw, err := cases.SchemaFor("patrol.health.v1")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Required   []string       `json:"required"`
		Properties map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	var goFields []string
	for f := range reflect.TypeFor[health.Event]().Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		goFields = append(goFields, name)
		if _, ok := s.Properties[name]; !ok {
			t.Errorf("%s: in the Go type, not in the schema", name)
		}
		// Fields the Go type always writes are required; omitempty ones are not.
		if req := slices.Contains(s.Required, name); req == strings.Contains(opts, "omitempty") {
			t.Errorf("%s: required=%v but json options %q", name, req, opts)
		}
	}
	for name := range s.Properties {
		if !slices.Contains(goFields, name) {
			t.Errorf("%s: in the schema, not in the Go type", name)
		}
	}
}
