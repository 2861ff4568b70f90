package console

import (
	"errors"
	"io"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/patrol-city/patrol/cases"
)

// statsStore is a store of crafted cases and verdicts, at a fixed now
// (Wednesday 2026-12-02 10:00 in Shanghai):
//   - c1 opened Tue 12-01 09:00 on cam-1, confirmed 10 min later;
//   - c2 opened Wed 12-02 00:30 (Tue 16:30 UTC) on cam-1, rejected
//     (permitted) 30 min later;
//   - c3 opened Mon 11-30 08:00 on cam-2, no verdict;
//   - c4 opened Sun 11-29 20:00 on cam-1, rejected (false detection) 2 h
//     later, then confirmed;
//   - c5 warned Tue 12-01 10:00 on cam-2, withdrawn a minute later;
//   - c6 opened 10-15 12:00 on cam-1, confirmed 1 h later;
//   - a verdict for a case the store does not hold.
func statsStore(t *testing.T) (*Store, *time.Location, time.Time) {
	t.Helper()
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	at := func(mo time.Month, d, h, m int) time.Time { return time.Date(2026, mo, d, h, m, 0, 0, sh) }
	s := newStore("cases", "health", "verdicts", "rechecks", slog.New(slog.NewTextHandler(io.Discard, nil)))
	add := func(raw []byte) { s.apply(&kgo.Record{Topic: "cases", Value: raw}) }
	verdict := func(id, v, reason string, when time.Time) {
		s.addVerdict(cases.Verdict{SchemaVersion: 1, CaseID: id, CameraID: "cam", Seq: 1, Verdict: v, Reason: reason, User: "disp", At: when})
	}
	opened := map[string]struct {
		camera string
		at     time.Time
	}{"c1": {"cam-1", at(12, 1, 9, 0)}, "c2": {"cam-1", at(12, 2, 0, 30)}, "c3": {"cam-2", at(11, 30, 8, 0)},
		"c4": {"cam-1", at(11, 29, 20, 0)}, "c6": {"cam-1", at(10, 15, 12, 0)}}
	for id, o := range opened {
		add(testCase(id, o.camera, "z1", cases.EventOpened, 1, o.at))
	}
	add(testCase("c1", "cam-1", "z1", cases.EventClosed, 2, at(12, 1, 9, 5))) // a later event: still opened at 09:00
	w := at(12, 1, 10, 0)
	add(withWarning(testCase("c5", "cam-2", "z1", cases.EventWarning, 1, w), w))
	add(withWarning(testCase("c5", "cam-2", "z1", cases.EventWithdrawn, 2, w.Add(time.Minute)), w))
	verdict("c1", cases.VerdictConfirmed, "", at(12, 1, 9, 10))
	verdict("c2", cases.VerdictRejected, cases.ReasonPermitted, at(12, 2, 1, 0))
	verdict("c4", cases.VerdictRejected, cases.ReasonFalseDetection, at(11, 29, 22, 0))
	verdict("c4", cases.VerdictConfirmed, "", at(11, 30, 9, 0))
	verdict("c6", cases.VerdictConfirmed, "", at(10, 15, 13, 0))
	verdict("gone", cases.VerdictConfirmed, "", at(11, 1, 0, 0))
	return s, sh, at(12, 2, 10, 0)
}

// TestStatsFigures: the figures of crafted cases and verdicts by day,
// week and month, in the office's zone and in UTC, by camera; bad queries
// refused.
func TestStatsFigures(t *testing.T) {
	t.Parallel()
	s, sh, now := statsStore(t)
	type want struct {
		opened, confirmed, rejected, waiting, warnings, withdrawn, changed int
		p50, p95                                                           time.Duration
		reasons                                                            map[string]int
		periods                                                            int
		period                                                             map[string]int // opened by period label
		dim                                                                map[string]int // opened by dimension key
	}
	for _, tc := range []struct {
		name  string
		query string
		utc   bool
		want  want
	}{
		{name: "default: 30 days by day, by code", query: "", want: want{4, 2, 1, 1, 1, 1, 1, 30 * time.Minute, 2 * time.Hour,
			map[string]int{cases.ReasonPermitted: 1}, 30,
			map[string]int{"2026-12-02": 1, "2026-12-01": 1, "2026-11-30": 1, "2026-11-29": 1, "2026-11-03": 0},
			map[string]int{"0505": 4}}},
		{name: "days in UTC: c2 opened on 12-01", query: "", utc: true, want: want{4, 2, 1, 1, 1, 1, 1, 30 * time.Minute, 2 * time.Hour,
			map[string]int{cases.ReasonPermitted: 1}, 30, map[string]int{"2026-12-02": 0, "2026-12-01": 2}, nil}},
		{name: "12 weeks from Monday, c6 included", query: "period=week&dim=camera", want: want{5, 3, 1, 1, 1, 1, 1, 30 * time.Minute, 2 * time.Hour,
			map[string]int{cases.ReasonPermitted: 1}, 12, map[string]int{"2026-W49 (11-30)": 3, "2026-W48 (11-23)": 1, "2026-W42 (10-12)": 1},
			map[string]int{"cam-1": 4, "cam-2": 1}}},
		{name: "months, c6 included", query: "period=month&dim=grid", want: want{5, 3, 1, 1, 1, 1, 1, 30 * time.Minute, 2 * time.Hour,
			map[string]int{cases.ReasonPermitted: 1}, 12, map[string]int{"2026-10": 1, "2026-11": 2, "2026-12": 2},
			map[string]int{"G-12": 5}}},
		{name: "one day", query: "from=2026-12-01&to=2026-12-01&dim=rule", want: want{1, 1, 0, 0, 1, 1, 0, 10 * time.Minute, 10 * time.Minute,
			map[string]int{}, 1, map[string]int{"2026-12-01": 1}, map[string]int{"illegal-parking": 1}}},
		{name: "nothing in range", query: "from=2025-01-01&to=2025-01-31", want: want{periods: 31, reasons: map[string]int{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q, _ := url.ParseQuery(tc.query)
			loc := sh
			if tc.utc {
				loc = time.UTC
			}
			cs, reach := s.statsSnapshot()
			st, err := computeStats(cs, reach, q, loc, now)
			if err != nil {
				t.Fatal(err)
			}
			f, w := st.Total, tc.want
			got := [10]int64{int64(f.Opened), int64(f.Confirmed), int64(f.Rejected), int64(f.Waiting), int64(f.Warnings),
				int64(f.Withdrawn), int64(f.Changed), int64(f.P50), int64(f.P95), int64(len(st.ByPeriod))}
			exp := [10]int64{int64(w.opened), int64(w.confirmed), int64(w.rejected), int64(w.waiting), int64(w.warnings),
				int64(w.withdrawn), int64(w.changed), int64(w.p50), int64(w.p95), int64(w.periods)}
			if got != exp {
				t.Errorf("opened, confirmed, rejected, waiting, warnings, withdrawn, changed, p50, p95, periods:\n got %v\nwant %v", got, exp)
			}
			for r, n := range tc.want.reasons {
				if f.Reasons[r] != n {
					t.Errorf("reason %s: %d, want %d", r, f.Reasons[r], n)
				}
			}
			if len(f.Reasons) != len(tc.want.reasons) {
				t.Errorf("reasons %v, want %v", f.Reasons, tc.want.reasons)
			}
			byPeriod := map[string]int{}
			for _, r := range st.ByPeriod {
				byPeriod[r.Period] = r.Opened
			}
			for p, n := range tc.want.period {
				if got, ok := byPeriod[p]; !ok || got != n {
					t.Errorf("period %s: %d opened (listed %v), want %d; periods %v", p, got, ok, n, byPeriod)
				}
			}
			if tc.want.dim != nil {
				byDim := map[string]int{}
				for _, r := range st.ByDim {
					byDim[r.Key] = r.Opened
				}
				for k, n := range tc.want.dim {
					if byDim[k] != n {
						t.Errorf("%s %s: %d opened, want %d (%v)", st.Dim, k, byDim[k], n, byDim)
					}
				}
			}
			if f.Handled != f.Confirmed+f.Rejected || f.Opened != f.Handled+f.Waiting {
				t.Errorf("handled %d, opened %d: do not add up", f.Handled, f.Opened)
			}
		})
	}
}

// TestStatsReachAndHotSpots: how far back the data reaches, verdicts of
// cases not held, the hour-of-week table and the places.
func TestStatsReachAndHotSpots(t *testing.T) {
	t.Parallel()
	s, sh, now := statsStore(t)
	cs, reach := s.statsSnapshot()
	st, err := computeStats(cs, reach, url.Values{"period": {"month"}}, sh, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 10, 15, 12, 0, 0, 0, sh); !st.Reach.Since.Equal(want) || st.Reach.Cases != 6 || st.Reach.Orphans != 1 {
		t.Errorf("reach %+v, want since %v, 6 cases, 1 orphan verdict", st.Reach, want)
	}
	// c1 Tue 09:00, c2 Wed 00:30, c3 Mon 08:00, c4 Sun 20:00, c6 Thu 12:00.
	for _, h := range []struct{ day, hour int }{{1, 9}, {2, 0}, {0, 8}, {6, 20}, {3, 12}} {
		if st.Hours[h.day][h.hour] != 1 {
			t.Errorf("hour of week %d/%d: %d, want 1", h.day, h.hour, st.Hours[h.day][h.hour])
		}
	}
	if st.HourMax != 1 || st.Heat(1) != "h1" || st.Heat(0) != "h0" {
		t.Errorf("heat: max %d, classes %s %s", st.HourMax, st.Heat(1), st.Heat(0))
	}
	if len(st.Places) != 2 || st.Places[0].Camera != "cam-1" || st.Places[0].Opened != 4 || st.Places[0].Confirmed != 3 ||
		st.Places[1].Camera != "cam-2" || st.Places[1].Opened != 1 {
		t.Errorf("places %+v", st.Places)
	}
	if st.Places[0].Address != "人民路 1 号" || st.Places[0].Grid != "G-12" {
		t.Errorf("place of cam-1: %+v", st.Places[0])
	}
}

// TestStatsQueryRefused: bad periods, dimensions, dates and ranges.
func TestStatsQueryRefused(t *testing.T) {
	t.Parallel()
	s, sh, now := statsStore(t)
	for _, q := range []string{"period=year", "dim=zone", "from=2026-13-01", "to=yesterday",
		"from=2026-12-02&to=2026-12-01", "from=2000-01-01&to=2026-12-01"} {
		v, _ := url.ParseQuery(q)
		cs, reach := s.statsSnapshot()
		if _, err := computeStats(cs, reach, v, sh, now); !errors.Is(err, errStatsQuery) {
			t.Errorf("%s: %v, want a refusal", q, err)
		}
	}
}

// TestNearestRank: p50 and p95 by the nearest-rank method.
func TestNearestRank(t *testing.T) {
	t.Parallel()
	ds := func(n ...int) []time.Duration {
		out := make([]time.Duration, len(n))
		for i, v := range n {
			out[i] = time.Duration(v) * time.Second
		}
		return out
	}
	for _, tc := range []struct {
		in       []time.Duration
		p50, p95 time.Duration
	}{
		{nil, 0, 0},
		{ds(7), 7 * time.Second, 7 * time.Second},
		{ds(1, 2), time.Second, 2 * time.Second},
		{ds(1, 2, 3, 4), 2 * time.Second, 4 * time.Second},
		{ds(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20), 10 * time.Second, 19 * time.Second},
	} {
		if p50, p95 := nearestRank(tc.in, 0.5), nearestRank(tc.in, 0.95); p50 != tc.p50 || p95 != tc.p95 {
			t.Errorf("%v: p50 %v p95 %v, want %v %v", tc.in, p50, p95, tc.p50, tc.p95)
		}
	}
}
