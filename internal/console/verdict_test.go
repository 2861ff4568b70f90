package console

import (
	"encoding/json"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
)

// queueTotal is the number of cases of the API queue for filter q.
func queueTotal(c *client, q string) int {
	var out struct {
		Total int `json:"total"`
	}
	c.api(http.MethodGet, "/api/queue?"+q, nil, &out)
	return out.Total
}

// TestVerdictMessages: a confirmation and a rejection with "suppress
// repeats" written by the console, read back from the real Kafka: the
// verdicts validate against their schema and carry the session's user,
// now, the case, its camera and the seq shown; the suppression validates,
// covers the subject's box grown by 10 %, its class and zone, lasts
// suppress_for and is named in the verdict; removing it writes a
// tombstone. Bad verdicts are refused before anything is written.
func TestVerdictMessages(t *testing.T) {
	t.Parallel()
	r := startConsole(t, testConfig(t, kafkaAddr(t)), Deps{})
	cfg := r.cfg
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	publish(t, cfg, cfg.Kafka.CasesTopic,
		[]byte("cam-1"), testCase("c1", "cam-1", "z1", cases.EventOpened, 1, t0),
		[]byte("cam-1"), testCase("c1", "cam-1", "z1", cases.EventUpdated, 2, t0),
		[]byte("cam-2"), testCase("c2", "cam-2", "z2", cases.EventOpened, 1, t0.Add(-time.Minute)))
	disp := r.client().login("disp")
	waitFor(t, 20*time.Second, "two cases in the queue", func() bool { return queueTotal(disp, "") == 2 })

	for name, body := range map[string]map[string]any{
		"unknown verdict":       {"verdict": "maybe"},
		"rejection, no reason":  {"verdict": "rejected"},
		"other without a note":  {"verdict": "rejected", "reason": "other"},
		"unknown reason":        {"verdict": "rejected", "reason": "lazy"},
		"confirm and suppress":  {"verdict": "confirmed", "suppress": true},
		"seq beyond the newest": {"verdict": "confirmed", "seq": 3},
		"unknown field":         {"verdict": "confirmed", "user": "someone-else"},
	} {
		if got := disp.api(http.MethodPost, "/api/cases/c1/verdict", body, nil); got != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", name, got)
		}
	}

	now := r.clock.Now().UTC()
	var resp verdictResponse
	if got := disp.api(http.MethodPost, "/api/cases/c1/verdict", map[string]any{"verdict": "confirmed", "seq": 2}, &resp); got != http.StatusOK {
		t.Fatalf("confirm: %d", got)
	}
	if resp.Next != "/cases/c2" {
		t.Errorf("next after c1: %q, want /cases/c2", resp.Next)
	}
	recs := readTopic(t, cfg, cfg.Console.VerdictsTopic, 1)
	if err := cases.ValidateVerdictJSON(recs[0].Value); err != nil {
		t.Fatalf("verdict fails its schema: %v\n%s", err, recs[0].Value)
	}
	var v cases.Verdict
	if err := json.Unmarshal(recs[0].Value, &v); err != nil {
		t.Fatal(err)
	}
	want := cases.Verdict{SchemaVersion: 1, CaseID: "c1", CameraID: "cam-1", Seq: 2, Verdict: cases.VerdictConfirmed, User: "disp", At: now}
	if string(recs[0].Key) != "c1" || v.CaseID != want.CaseID || v.CameraID != want.CameraID || v.Seq != want.Seq ||
		v.Verdict != want.Verdict || v.User != want.User || !v.At.Equal(want.At) || v.Reason != "" || v.SuppressionID != "" {
		t.Errorf("verdict key %s %+v, want %+v", recs[0].Key, v, want)
	}
	if queueTotal(disp, "") != 1 || queueTotal(disp, "status=reviewed") != 1 || queueTotal(disp, "status=all") != 2 {
		t.Errorf("after the verdict: %d to review, %d reviewed, %d in all", queueTotal(disp, ""),
			queueTotal(disp, "status=reviewed"), queueTotal(disp, "status=all"))
	}

	// Reject c2 and suppress its repeats.
	r.clock.Add(time.Minute)
	now = r.clock.Now().UTC()
	resp = verdictResponse{}
	body := map[string]any{"verdict": "rejected", "reason": "permitted", "note": "delivery van", "suppress": true}
	if got := disp.api(http.MethodPost, "/api/cases/c2/verdict", body, &resp); got != http.StatusOK {
		t.Fatalf("reject: %d", got)
	}
	if resp.Next != "/queue" {
		t.Errorf("next when the queue is empty: %q", resp.Next)
	}
	srec := readTopic(t, cfg, cfg.Console.SuppressionsTopic, 1)[0]
	if err := cases.ValidateSuppressionJSON(srec.Value); err != nil {
		t.Fatalf("suppression fails its schema: %v\n%s", err, srec.Value)
	}
	var sup cases.Suppression
	if err := json.Unmarshal(srec.Value, &sup); err != nil {
		t.Fatal(err)
	}
	// The subject's box [0.2 0.5 0.3 0.2] grown by 10 % about its centre.
	region := [4]float64{0.185, 0.49, 0.33, 0.22}
	for i := range region {
		if math.Abs(sup.Region[i]-region[i]) > 1e-9 {
			t.Errorf("region %v, want %v", sup.Region, region)
			break
		}
	}
	if string(srec.Key) != sup.ID || sup.ID != cases.SuppressionID("c2", now) || sup.CameraID != "cam-2" || sup.ZoneID != "z2" ||
		len(sup.Classes) != 1 || sup.Classes[0] != "car" || !sup.Expires.Equal(now.Add(cfg.Console.SuppressFor)) ||
		sup.CaseID != "c2" || sup.Reason != "permitted" || sup.User != "disp" || !sup.At.Equal(now) {
		t.Errorf("suppression key %s %+v", srec.Key, sup)
	}
	if !sup.Covers("z2", "car", [4]float64{0.2, 0.5, 0.3, 0.2}, now.Add(time.Hour)) ||
		sup.Covers("z2", "car", [4]float64{0.6, 0.5, 0.3, 0.2}, now.Add(time.Hour)) ||
		sup.Covers("z2", "car", [4]float64{0.2, 0.5, 0.3, 0.2}, now.Add(cfg.Console.SuppressFor)) {
		t.Error("the suppression does not cover the object's place alone for suppress_for")
	}
	recs = readTopic(t, cfg, cfg.Console.VerdictsTopic, 2)
	if err := cases.ValidateVerdictJSON(recs[1].Value); err != nil {
		t.Fatalf("rejection fails its schema: %v", err)
	}
	v = cases.Verdict{}
	_ = json.Unmarshal(recs[1].Value, &v)
	if v.Verdict != cases.VerdictRejected || v.Reason != "permitted" || v.Note != "delivery van" || v.SuppressionID != sup.ID || v.Seq != 1 {
		t.Errorf("rejection %+v", v)
	}

	// The suppressions page lists it; removing it writes a tombstone.
	waitFor(t, 10*time.Second, "the suppression listed", func() bool {
		var list []cases.Suppression
		disp.api(http.MethodGet, "/api/suppressions", nil, &list)
		return len(list) == 1 && list[0].ID == sup.ID
	})
	if got := disp.api(http.MethodDelete, "/api/suppressions/"+sup.ID, nil, nil); got != http.StatusOK {
		t.Fatalf("remove: %d", got)
	}
	recs = readTopic(t, cfg, cfg.Console.SuppressionsTopic, 2)
	if string(recs[1].Key) != sup.ID || recs[1].Value != nil {
		t.Errorf("removal wrote %s=%q, want a tombstone", recs[1].Key, recs[1].Value)
	}
	var list []cases.Suppression
	disp.api(http.MethodGet, "/api/suppressions", nil, &list)
	if len(list) != 0 {
		t.Errorf("after removal: %v", list)
	}
	if got := disp.api(http.MethodDelete, "/api/suppressions/"+sup.ID, nil, nil); got != http.StatusNotFound {
		t.Errorf("removing it again: %d, want 404", got)
	}

	// A restarted console finds the verdicts again: Kafka is its store.
	r2 := startConsole(t, cfg, Deps{})
	d2 := r2.client().login("disp")
	if queueTotal(d2, "") != 0 || queueTotal(d2, "status=reviewed") != 2 {
		t.Errorf("second console: %d to review, %d reviewed", queueTotal(d2, ""), queueTotal(d2, "status=reviewed"))
	}
}
