package console

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/patrol-city/patrol/cases"
)

// ids are the case ids of items.
func ids(items []Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.CaseID)
	}
	return out
}

// withSeverity sets a case message's severity.
func withSeverity(raw []byte, sev string) []byte {
	var w wireCase
	_ = json.Unmarshal(raw, &w)
	w.Severity = sev
	out, _ := json.Marshal(w)
	return out
}

// TestQueueOrderAndFilters: the queue lists cases without a verdict,
// newest confirmation first whatever the arrival order, one row per case
// in its newest state (duplicates and late older events do not count);
// every filter narrows it; a case with a verdict leaves it but stays
// findable; Next walks it.
func TestQueueOrderAndFilters(t *testing.T) {
	s := newStore("cases", "health", "verdicts", "rechecks", slog.New(slog.NewTextHandler(io.Discard, nil)))
	t0 := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	add := func(raw []byte) { s.apply(&kgo.Record{Topic: "cases", Value: raw}) }
	add(testCase("b", "cam-1", "z1", cases.EventOpened, 1, t0.Add(2*time.Minute)))
	add(testCase("a", "cam-1", "z1", cases.EventOpened, 1, t0.Add(1*time.Minute)))
	add(testCase("c", "cam-2", "z2", cases.EventOpened, 1, t0.Add(3*time.Minute)))
	add(withSeverity(testCase("a", "cam-1", "z1", cases.EventUpdated, 2, t0.Add(time.Minute)), "严重"))
	add(testCase("a", "cam-1", "z1", cases.EventOpened, 1, t0.Add(time.Minute))) // a duplicate
	add(testCase("d", "cam-2", "z1", cases.EventClosed, 3, t0))
	add(testCase("d", "cam-2", "z1", cases.EventUpdated, 2, t0)) // late, older
	add([]byte(`{"not":"a case"}`))

	items, n := s.Queue(filterFrom(url.Values{}))
	if got, want := ids(items), []string{"c", "b", "a", "d"}; !slices.Equal(got, want) || n != 4 {
		t.Fatalf("queue %v (%d), want %v newest first", got, n, want)
	}
	if items[2].State != cases.EventUpdated || items[2].Seq != 2 || items[2].Severity != "严重" {
		t.Errorf("case a shown as %+v, want its newest event (updated, seq 2)", items[2])
	}
	if items[3].State != cases.EventClosed || items[3].Seq != 3 {
		t.Errorf("case d shown as %s seq %d, want closed seq 3", items[3].State, items[3].Seq)
	}
	if d, _ := s.detail("a"); len(d.Events) != 2 || d.Events[0].Seq != 1 || d.Events[1].Seq != 2 {
		t.Errorf("case a events %+v, want seq 1 and 2 once each", d.Events)
	}
	for q, want := range map[string][]string{
		"camera=cam-2":                  {"c", "d"},
		"zone=z1":                       {"b", "a", "d"},
		"rule=illegal-parking":          {"c", "b", "a", "d"},
		"rule=vending":                  nil,
		"severity=严重":                   {"a"},
		"state=opened":                  {"c", "b"},
		"state=closed":                  {"d"},
		"camera=cam-1&state=updated":    {"a"},
		"camera=cam-2&zone=z2&status=x": {"c"},
	} {
		v, _ := url.ParseQuery(q)
		got, _ := s.Queue(filterFrom(v))
		if !slices.Equal(ids(got), want) {
			t.Errorf("%s: %v, want %v", q, ids(got), want)
		}
	}

	// Verdicts: b leaves the queue, stays findable.
	s.apply(&kgo.Record{Topic: "verdicts", Value: mustJSON(cases.Verdict{SchemaVersion: 1, CaseID: "b", CameraID: "cam-1", Seq: 1,
		Verdict: cases.VerdictConfirmed, User: "disp", At: t0.Add(time.Hour)})})
	got, _ := s.Queue(filterFrom(url.Values{}))
	reviewed, _ := s.Queue(filterFrom(url.Values{"status": {"reviewed"}}))
	all, _ := s.Queue(filterFrom(url.Values{"status": {"all"}}))
	if !slices.Equal(ids(got), []string{"c", "a", "d"}) || !slices.Equal(ids(reviewed), []string{"b"}) || len(all) != 4 {
		t.Errorf("after b's verdict: review %v, reviewed %v, all %v", ids(got), ids(reviewed), ids(all))
	}
	if reviewed[0].Verdict == nil || reviewed[0].Verdict.User != "disp" {
		t.Errorf("reviewed item without its verdict: %+v", reviewed[0])
	}

	// Next: the next older case to review, wrapping to the newest.
	for cur, want := range map[string]string{"c": "a", "b": "a", "a": "d", "d": "c"} {
		if n := s.Next(filterFrom(url.Values{}), cur); n != want {
			t.Errorf("next after %s: %s, want %s", cur, n, want)
		}
	}
	if n := s.Next(filterFrom(url.Values{"camera": {"cam-2"}}), "d"); n != "c" {
		t.Errorf("next after d on cam-2: %s, want c", n)
	}
	if n := s.Next(filterFrom(url.Values{"camera": {"cam-1"}}), "a"); n != "" {
		t.Errorf("next after the last case of cam-1: %q, want none", n)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
