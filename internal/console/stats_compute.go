package console

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"time"

	"github.com/patrol-city/patrol/cases"
)

// maxStatsDays bounds the range of one statistics request (ten years of
// days).
const maxStatsDays = 3660

// maxPlaces is the number of hot spots the page lists (the exports list
// every place).
const maxPlaces = 20

// errStatsQuery is wrapped by the errors of a bad statistics query.
var errStatsQuery = errors.New("statistics query")

// statsQueryError is a refused query: its English text for logs and the
// catalogue message (with arguments) the page shows. It is errStatsQuery.
type statsQueryError struct {
	msg  string
	id   string
	args []any
}

func (e *statsQueryError) Error() string { return errStatsQuery.Error() + ": " + e.msg }

// Is makes a statsQueryError errStatsQuery.
func (e *statsQueryError) Is(target error) bool { return target == errStatsQuery }

// queryErr is a refused query: msg in English, message id with args.
func queryErr(msg, id string, args ...any) error {
	return &statsQueryError{msg: msg, id: id, args: args}
}

// statsRow is one row of figures: a period, a dimension value, or both.
type statsRow struct {
	Period, Key, Label string
	Figures
}

// placeRow is a hot spot: a camera's place and its cases in the range.
type placeRow struct {
	Camera, Name, Address, Grid string
	Latitude, Longitude         *float64
	Opened, Confirmed           int
}

// reasonCount is a rejection reason and its count.
type reasonCount struct {
	Reason string
	Count  int
}

// Stats is one statistics answer (GET /stats, /stats.csv, /stats.xlsx).
type Stats struct {
	// Period is day, week or month; Dim code, camera, grid or rule.
	Period, Dim string
	// From and To bound the range [From, To) in Zone; FromDate and
	// ToDate are its first and last day.
	From, To         time.Time
	FromDate, ToDate string
	Zone             *time.Location
	Total            Figures
	// ByPeriod has a row per period of the range (empty ones too), ByDim
	// a row per dimension value with a case, Cross a row per period and
	// value with a case.
	ByPeriod, ByDim, Cross []statsRow
	Reasons                []reasonCount
	// Places are the hot spots, most cases opened first.
	Places []placeRow
	// Hours counts the cases opened by weekday (Monday first) and hour.
	Hours   [7][24]int
	HourMax int
	Reach   statsReach
	Now     time.Time
}

// computeStats computes the figures of the cases for query q (period,
// dim, from, to; see statsRange for the defaults) in zone loc at now.
func computeStats(cs []statsCase, reach statsReach, q url.Values, loc *time.Location, now time.Time) (*Stats, error) {
	st := &Stats{Period: q.Get("period"), Dim: q.Get("dim"), Zone: loc, Reach: reach, Now: now}
	if st.Period == "" {
		st.Period = periodDay
	}
	if st.Dim == "" {
		st.Dim = dimCode
	}
	if !slices.Contains([]string{periodDay, periodWeek, periodMonth}, st.Period) {
		return nil, queryErr(fmt.Sprintf("period %q: day, week or month", st.Period), "stats.err.period", "V", st.Period)
	}
	if !slices.Contains([]string{dimCode, dimCamera, dimGrid, dimRule}, st.Dim) {
		return nil, queryErr(fmt.Sprintf("dim %q: code, camera, grid or rule", st.Dim), "stats.err.dim", "V", st.Dim)
	}
	if err := st.statsRange(q.Get("from"), q.Get("to")); err != nil {
		return nil, err
	}
	prepare(cs)
	byPeriod := map[string]*statsRow{}
	for p := periodStart(st.From, st.Period, loc); p.Before(st.To); p = periodNext(p, st.Period) {
		st.ByPeriod = append(st.ByPeriod, statsRow{Period: periodLabel(p, st.Period)})
	}
	for i := range st.ByPeriod {
		byPeriod[st.ByPeriod[i].Period] = &st.ByPeriod[i]
	}
	byDim, cross, places := map[string]*statsRow{}, map[[2]string]*statsRow{}, map[string]*placeRow{}
	rows := func(c *statsCase, at time.Time) []*Figures {
		pl := periodLabel(periodStart(at, st.Period, loc), st.Period)
		key, label := dimOf(c, st.Dim)
		d := byDim[key]
		if d == nil {
			d = &statsRow{Key: key, Label: label}
			byDim[key] = d
		}
		x := cross[[2]string{pl, key}]
		if x == nil {
			x = &statsRow{Period: pl, Key: key, Label: label}
			cross[[2]string{pl, key}] = x
		}
		return []*Figures{&st.Total, &byPeriod[pl].Figures, &d.Figures, &x.Figures}
	}
	for i := range cs {
		c := &cs[i]
		if st.in(c.Warned) {
			for _, f := range rows(c, c.Warned) {
				f.addWarning(c)
			}
		}
		if !st.in(c.Opened) {
			continue
		}
		for _, f := range rows(c, c.Opened) {
			f.addOpened(c)
		}
		p := places[c.Camera]
		if p == nil {
			p = &placeRow{Camera: c.Camera, Name: c.CameraName, Address: c.Address, Grid: c.Grid,
				Latitude: c.Latitude, Longitude: c.Longitude}
			places[c.Camera] = p
		}
		p.Opened++
		if c.latestVerdict != nil && c.latestVerdict.Verdict == cases.VerdictConfirmed {
			p.Confirmed++
		}
		t := c.Opened.In(loc)
		wd, h := (int(t.Weekday())+6)%7, t.Hour()
		st.Hours[wd][h]++
		st.HourMax = max(st.HourMax, st.Hours[wd][h])
	}
	st.finish(byDim, cross, places)
	return st, nil
}

// finish sorts the rows and computes their percentiles.
func (st *Stats) finish(byDim map[string]*statsRow, cross map[[2]string]*statsRow, places map[string]*placeRow) {
	st.Total.finish()
	for i := range st.ByPeriod {
		st.ByPeriod[i].finish()
	}
	for _, r := range byDim {
		r.finish()
		st.ByDim = append(st.ByDim, *r)
	}
	sort.Slice(st.ByDim, func(i, j int) bool {
		a, b := st.ByDim[i], st.ByDim[j]
		if a.Opened != b.Opened {
			return a.Opened > b.Opened
		}
		return a.Key < b.Key
	})
	for _, r := range cross {
		r.finish()
		st.Cross = append(st.Cross, *r)
	}
	sort.Slice(st.Cross, func(i, j int) bool {
		a, b := st.Cross[i], st.Cross[j]
		if a.Period != b.Period {
			return a.Period < b.Period
		}
		return a.Key < b.Key
	})
	for _, p := range places {
		st.Places = append(st.Places, *p)
	}
	sort.Slice(st.Places, func(i, j int) bool {
		a, b := st.Places[i], st.Places[j]
		if a.Opened != b.Opened {
			return a.Opened > b.Opened
		}
		return a.Camera < b.Camera
	})
	for _, r := range cases.Reasons {
		if n := st.Total.Reasons[r]; n > 0 {
			st.Reasons = append(st.Reasons, reasonCount{r, n})
		}
	}
	var other []string
	for r := range st.Total.Reasons {
		if !slices.Contains(cases.Reasons, r) {
			other = append(other, r)
		}
	}
	sort.Strings(other)
	for _, r := range other {
		st.Reasons = append(st.Reasons, reasonCount{r, st.Total.Reasons[r]})
	}
}

// statsRange sets the range from the from and to dates (YYYY-MM-DD in the
// zone, both days included). Defaults: to is today; from is 29 days
// before to by day, the week 11 weeks before to's by week, the month 11
// months before to's by month (30 days, 12 weeks, 12 months).
func (st *Stats) statsRange(from, to string) error {
	loc := st.Zone
	day := func(s string) (time.Time, error) {
		t, err := time.ParseInLocation("2006-01-02", s, loc)
		if err != nil {
			return t, queryErr(fmt.Sprintf("date %q: want YYYY-MM-DD", s), "stats.err.date", "V", s)
		}
		return t, nil
	}
	var err error
	last := periodStart(st.Now, periodDay, loc)
	if to != "" {
		if last, err = day(to); err != nil {
			return err
		}
	}
	first := periodStart(last, st.Period, loc)
	switch st.Period {
	case periodDay:
		first = first.AddDate(0, 0, -29)
	case periodWeek:
		first = first.AddDate(0, 0, -7*11)
	case periodMonth:
		first = first.AddDate(0, -11, 0)
	}
	if from != "" {
		if first, err = day(from); err != nil {
			return err
		}
	}
	st.From, st.To = first, last.AddDate(0, 0, 1)
	if !st.From.Before(st.To) {
		f, l := first.Format(time.DateOnly), last.Format(time.DateOnly)
		return queryErr(fmt.Sprintf("from %s is after to %s", f, l), "stats.err.order", "From", f, "To", l)
	}
	if st.To.Sub(st.From) > maxStatsDays*24*time.Hour {
		return queryErr(fmt.Sprintf("more than %d days", maxStatsDays), "stats.err.days", "N", maxStatsDays)
	}
	st.FromDate, st.ToDate = first.Format(time.DateOnly), last.Format(time.DateOnly)
	return nil
}

// in reports whether t is in the range.
func (st *Stats) in(t time.Time) bool { return !t.IsZero() && !t.Before(st.From) && t.Before(st.To) }
