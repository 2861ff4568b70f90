package console

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/patrol-city/patrol/cases"
)

// withWarning adds the correction window of a warned case to a message.
func withWarning(raw []byte, at time.Time) []byte {
	var w wireCase
	_ = json.Unmarshal(raw, &w)
	w.Warning = &cases.Warning{At: at, WindowS: 60, Until: at.Add(time.Minute)}
	out, _ := json.Marshal(w)
	return out
}

// TestWarningOnCasePage: a warned case is listed as 预警 with its window
// on the case page; once withdrawn it shows 已整改 and both events with
// their pictures; the queue's state filter finds each.
func TestWarningOnCasePage(t *testing.T) {
	t.Parallel()
	s := newStore("cases", "health", "verdicts", "rechecks", slog.New(slog.NewTextHandler(io.Discard, nil)))
	t0 := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	s.apply(&kgo.Record{Topic: "cases", Value: withWarning(testCase("w1", "cam-1", "z1", cases.EventWarning, 1, t0), t0)})
	s.apply(&kgo.Record{Topic: "cases", Value: withWarning(testCase("w2", "cam-1", "z1", cases.EventWarning, 1, t0), t0)})
	cat, err := loadCatalogue(time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := parsePages(cat)
	if err != nil {
		t.Fatal(err)
	}
	render := func(id string) string {
		v, ok := s.view(id)
		if !ok {
			t.Fatalf("no case %s", id)
		}
		var buf bytes.Buffer
		if err := pages[langZH].ExecuteTemplate(&buf, "case", pageData{Page: "case", Data: caseData{CaseView: v}}); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	if p := render("w1"); !strings.Contains(p, ">预警<") || !strings.Contains(p, `id="warning"`) || !strings.Contains(p, "期满仍在则立案") {
		t.Errorf("warned case page lacks the warning and its window:\n%s", p)
	}
	s.apply(&kgo.Record{Topic: "cases", Value: withWarning(testCase("w1", "cam-1", "z1", cases.EventWithdrawn, 2, t0.Add(40*time.Second)), t0)})
	p := render("w1")
	if !strings.Contains(p, ">已整改<") || strings.Contains(p, "期满仍在则立案") || strings.Count(p, "snapshot-") < 2 {
		t.Errorf("withdrawn case page:\n%s", p)
	}
	for state, want := range map[string]string{cases.EventWarning: "w2", cases.EventWithdrawn: "w1"} {
		got, _ := s.Queue(Filter{State: state, Status: statusAll})
		if len(got) != 1 || got[0].CaseID != want {
			t.Errorf("state %s: %v, want %s", state, ids(got), want)
		}
	}
}
