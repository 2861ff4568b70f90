package pipeline

import (
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/detect"
)

// TestWhy: a case's explanation names the score statistic of its rule
// kind and keeps its numbers in the schema's ranges.
func TestWhy(t *testing.T) {
	for _, tc := range []struct {
		kind, stat string
		in         detect.Explanation
		want       cases.Explanation
	}{
		{detect.KindStationary, cases.StatMedian,
			detect.Explanation{Dwell: 90 * time.Second, Pictures: 40, Score: 0.6123, LookMatch: 0.87654, Presence: 0.9, Gaps: 2},
			cases.Explanation{DwellS: 90, Pictures: 40, Score: 0.612, LookMatch: 0.877, Presence: 0.9, Gaps: 2}},
		{detect.KindGathering, cases.StatMax,
			detect.Explanation{Dwell: time.Minute, Pictures: 3, Score: 0.8, LookMatch: 1.0000001, Presence: 1.2, PresentAtStart: true},
			cases.Explanation{DwellS: 60, Pictures: 3, Score: 0.8, LookMatch: 1, Presence: 1, PresentAtStart: true}},
		{detect.KindCount, cases.StatMax,
			detect.Explanation{Dwell: 10 * time.Second, Pictures: 6, Score: 0.5, LookMatch: 1, Presence: 1, Count: 6},
			cases.Explanation{DwellS: 10, Pictures: 6, Score: 0.5, LookMatch: 1, Presence: 1, Count: 6}},
		{detect.KindStationary, cases.StatMedian,
			detect.Explanation{Dwell: time.Second, LookMatch: -3, Presence: -0.5},
			cases.Explanation{DwellS: 1, LookMatch: -1, Presence: 0}},
	} {
		tc.want.ScoreStat = tc.stat
		if got := why(detect.Event{Kind: tc.kind, Why: tc.in}); *got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.kind, *got, tc.want)
		}
	}
}
