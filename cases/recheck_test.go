package cases_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
)

const (
	recheckRequest = `{"schema_version":1,"type":"request","request_id":"r-1","case_id":"cam-1-20261202T101010Z-0a1b2c3d4e","camera_id":"cam-1","requested_at":"2026-12-02T10:11:00Z","subject":{"label":"car","box":[0.1,0.5,0.3,0.2]}}`
	recheckAnswer  = `{"schema_version":1,"type":"answer","request_id":"r-1","case_id":"cam-1-20261202T101010Z-0a1b2c3d4e","camera_id":"cam-1","worker":"w1","status":"present","score":0.81,"picture":{"kind":"snapshot","role":"recheck","bucket":"patrol-evidence","key":"cam-1/2026/12/02/c/recheck-r-1.jpg","sha256":"85e3b5fa3d94a7fab68a9de66eb7a9af760c21929297e8d1234e370a2b8761ef","size":50357,"content_type":"image/jpeg"},"picture_at":"2026-12-02T10:11:01Z","answered_at":"2026-12-02T10:11:02Z"}`
)

// TestParseRecheck: ParseRecheck and the schema agree on what a valid
// request or answer is, and both refuse the broken ones.
func TestParseRecheck(t *testing.T) {
	t.Parallel()
	edit := func(base string, f func(m map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal([]byte(base), &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	for _, tc := range []struct {
		name, key, msg string
		ok             bool
	}{
		{"request", "cam-1", recheckRequest, true},
		{"answer", "cam-1", recheckAnswer, true},
		{"request without subject", "", edit(recheckRequest, func(m map[string]any) { delete(m, "subject") }), true},
		{"unknown with reason", "", edit(recheckAnswer, func(m map[string]any) {
			m["status"], m["reason"] = "unknown", "camera offline: no route"
			delete(m, "picture")
		}), true},
		{"unknown without reason", "", edit(recheckAnswer, func(m map[string]any) { m["status"] = "unknown" }), false},
		{"wrong key", "cam-2", recheckRequest, false},
		{"request without requested_at", "", edit(recheckRequest, func(m map[string]any) { delete(m, "requested_at") }), false},
		{"answer without worker", "", edit(recheckAnswer, func(m map[string]any) { delete(m, "worker") }), false},
		{"bad status", "", edit(recheckAnswer, func(m map[string]any) { m["status"] = "maybe" }), false},
		{"bad type", "", edit(recheckRequest, func(m map[string]any) { m["type"] = "ask" }), false},
		{"camera path", "", edit(recheckRequest, func(m map[string]any) { m["camera_id"] = "../etc" }), false},
		{"request id with slash", "", edit(recheckRequest, func(m map[string]any) { m["request_id"] = "a/b" }), false},
		{"empty case id", "", edit(recheckRequest, func(m map[string]any) { m["case_id"] = "" }), false},
		{"box outside", "", edit(recheckRequest, func(m map[string]any) {
			m["subject"] = map[string]any{"label": "car", "box": []float64{0.5, 0.5, 1.2, 0.1}}
		}), false},
		{"schema version", "", edit(recheckRequest, func(m map[string]any) { m["schema_version"] = 2 }), false},
		{"not json", "", `{"type":`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := cases.ParseRecheck(tc.key, []byte(tc.msg))
			if (err == nil) != tc.ok {
				t.Fatalf("ParseRecheck: %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, cases.ErrBadRecheck) {
				t.Errorf("error %v does not wrap ErrBadRecheck", err)
			}
			if tc.key != "" && tc.key != "cam-1" {
				return // the key is not part of the message
			}
			serr := cases.ValidateRecheckJSON([]byte(tc.msg))
			if (serr == nil) != tc.ok {
				t.Errorf("schema: %v, want ok=%v", serr, tc.ok)
			}
		})
	}
}

// TestRecheckRoundTrip: what the worker marshals passes the schema.
func TestRecheckRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 2, 10, 11, 2, 0, time.UTC)
	r := cases.Recheck{SchemaVersion: cases.SchemaVersion, Type: cases.RecheckAnswer, RequestID: "r-9", CaseID: "c-9",
		CameraID: "cam-9", Worker: "w", Status: cases.RecheckUnknown, Reason: cases.RecheckOffline + ": refused", AnsweredAt: &at}
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := cases.ValidateRecheckJSON(raw); err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	back, err := cases.ParseRecheck("cam-9", raw)
	if err != nil || back.Reason != r.Reason {
		t.Fatalf("ParseRecheck: %+v, %v", back, err)
	}
}

// FuzzParseRecheck: no input panics ParseRecheck, and what it accepts
// has valid ids and passes Validate again after a round trip.
func FuzzParseRecheck(f *testing.F) {
	f.Add("cam-1", []byte(recheckRequest))
	f.Add("cam-1", []byte(recheckAnswer))
	f.Add("", []byte(`{"schema_version":1,"type":"request","request_id":"x","case_id":"y","camera_id":"z","requested_at":"2026-01-01T00:00:00Z","subject":{"label":"a","box":[0,0,1,1]}}`))
	f.Add("k", []byte(`null`))
	f.Fuzz(func(t *testing.T, key string, raw []byte) {
		r, err := cases.ParseRecheck(key, raw)
		if err != nil {
			return
		}
		for _, id := range []string{r.RequestID, r.CaseID, r.CameraID} {
			if id == "" || strings.ContainsAny(id, "/\\ \x00") || id == "." || id == ".." {
				t.Fatalf("accepted id %q", id)
			}
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cases.ParseRecheck(key, b); err != nil {
			t.Fatalf("round trip refused: %v", err)
		}
	})
}
