package console

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/patrol-city/patrol/cases"
)

// TestStoreBounds: the store keeps at most maxCases cases, dropping the
// settled (closed, decided) ones first, oldest first; a case keeps its
// first and newest events; an invalid verdict is skipped (before: every
// record was kept, valid or not, without a bound).
func TestStoreBounds(t *testing.T) {
	t.Parallel()
	s := newStore("cases", "health", "verdicts", "rechecks", slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.maxCases = 100
	t0 := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	for i := range 100 {
		id := fmt.Sprintf("c%03d", i)
		s.apply(&kgo.Record{Topic: "cases", Value: testCase(id, "cam-1", "z1", cases.EventOpened, 1, t0.Add(time.Duration(i)*time.Minute))})
		if i%2 == 1 { // the odd ones closed
			s.apply(&kgo.Record{Topic: "cases", Value: testCase(id, "cam-1", "z1", cases.EventClosed, 2, t0.Add(time.Duration(i)*time.Minute))})
		}
	}
	s.apply(&kgo.Record{Topic: "cases", Value: testCase("c100", "cam-1", "z1", cases.EventOpened, 1, t0.Add(200*time.Minute))})
	if n := len(s.cases); n != 90 {
		t.Fatalf("%d cases kept, want 90 after dropping a tenth", n)
	}
	for _, id := range []string{"c001", "c019"} {
		if _, ok := s.cases[id]; ok {
			t.Errorf("closed case %s kept", id)
		}
	}
	for _, id := range []string{"c000", "c020", "c023", "c100"} {
		if _, ok := s.cases[id]; !ok {
			t.Errorf("case %s dropped", id)
		}
	}
	for seq := 2; seq < maxCaseEvents+50; seq++ {
		s.apply(&kgo.Record{Topic: "cases", Value: testCase("c000", "cam-1", "z1", cases.EventUpdated, seq, t0)})
	}
	if e := s.cases["c000"]; len(e.events) != maxCaseEvents || e.events[0].Seq != 1 || e.events[len(e.events)-1].Seq != maxCaseEvents+49 {
		t.Errorf("events kept %d (first %d)", len(e.events), e.events[0].Seq)
	}
	s.apply(&kgo.Record{Topic: "verdicts", Value: []byte(`{"case_id":"c000","verdict":"confirmed"}`)})
	if len(s.verdicts["c000"]) != 0 {
		t.Error("a verdict failing the schema was kept")
	}
}
