package cases_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
)

func TestVerdictSchema(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	ok := cases.Verdict{SchemaVersion: 1, CaseID: "c-1", CameraID: "cam", Seq: 1, Verdict: cases.VerdictRejected,
		Reason: cases.ReasonPermitted, User: "li", At: at}
	for _, tc := range []struct {
		name  string
		edit  func(v *cases.Verdict)
		valid bool
	}{
		{"rejection with reason", func(*cases.Verdict) {}, true},
		{"confirmation", func(v *cases.Verdict) { v.Verdict, v.Reason = cases.VerdictConfirmed, "" }, true},
		{"rejection without reason", func(v *cases.Verdict) { v.Reason = "" }, false},
		{"other without note", func(v *cases.Verdict) { v.Reason = cases.ReasonOther }, false},
		{"other with note", func(v *cases.Verdict) { v.Reason, v.Note = cases.ReasonOther, "a film crew" }, true},
		{"unknown verdict", func(v *cases.Verdict) { v.Verdict = "maybe" }, false},
		{"unknown reason", func(v *cases.Verdict) { v.Reason = "lazy" }, false},
		{"no user", func(v *cases.Verdict) { v.User = "" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := ok
			tc.edit(&v)
			raw, _ := json.Marshal(v)
			if err := cases.ValidateVerdictJSON(raw); (err == nil) != tc.valid {
				t.Errorf("valid=%v, err=%v", tc.valid, err)
			}
		})
	}
}

func TestSuppression(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s := cases.Suppression{SchemaVersion: 1, ID: "s1", CameraID: "cam", ZoneID: "z", Region: [4]float64{0.2, 0.5, 0.3, 0.3},
		Classes: []string{"car"}, Expires: at.Add(time.Hour), User: "li", At: at}
	raw, _ := json.Marshal(s)
	if err := cases.ValidateSuppressionJSON(raw); err != nil {
		t.Fatal(err)
	}
	bad := s
	bad.Region[2] = 1.5
	raw, _ = json.Marshal(bad)
	if err := cases.ValidateSuppressionJSON(raw); err == nil {
		t.Error("region outside the picture accepted")
	}
	in := [4]float64{0.25, 0.55, 0.2, 0.2}
	for _, tc := range []struct {
		name  string
		zone  string
		label string
		box   [4]float64
		at    time.Time
		want  bool
	}{
		{"inside", "z", "car", in, at, true},
		{"more than half inside", "z", "car", [4]float64{0.38, 0.55, 0.2, 0.2}, at, true},
		{"mostly outside", "z", "car", [4]float64{0.45, 0.55, 0.2, 0.2}, at, false},
		{"other zone", "y", "car", in, at, false},
		{"other class", "z", "truck", in, at, false},
		{"expired", "z", "car", in, at.Add(2 * time.Hour), false},
	} {
		if got := s.Covers(tc.zone, tc.label, tc.box, tc.at); got != tc.want {
			t.Errorf("%s: covers %v, want %v", tc.name, got, tc.want)
		}
	}
}
