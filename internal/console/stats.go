package console

import (
	"sort"
	"time"

	"github.com/patrol-city/patrol/cases"
)

// The office's figures (docs/console.md, "Statistics"), computed from the
// Store, itself built from the cases and verdicts topics at start: they
// survive a console restart as far as the topics keep their records.

// Periods and dimensions of the statistics.
const (
	periodDay   = "day"
	periodWeek  = "week"
	periodMonth = "month"

	dimCode   = "code"
	dimCamera = "camera"
	dimGrid   = "grid"
	dimRule   = "rule"
)

// statsCase is what the figures need of one case.
type statsCase struct {
	ID                   string
	Code, CodeName, Rule string
	Camera, CameraName   string
	Grid, Address        string
	Opened, Warned       time.Time // zero: never opened, no warning
	Withdrawn            bool
	Verdicts             []cases.Verdict // topic order
	// Rechecks counts the case's answered re-checks by status.
	Rechecks                    map[string]int
	Latitude, Longitude         *float64
	latestVerdict, firstVerdict *cases.Verdict
}

// statsReach is how far back the Store's data reaches.
type statsReach struct {
	// Since is the earliest warning or opening among the cases held (zero
	// without cases).
	Since time.Time
	// Dropped counts cases dropped by the memory bound (bounds.go); their
	// confirmations went up to DroppedUntil.
	Dropped      uint64
	DroppedUntil time.Time
	// Cases is the number of cases held; Orphans the verdicts held for
	// cases the console does not hold.
	Cases, Orphans int
}

// statsSnapshot copies what the figures need out of the store.
func (s *Store) statsSnapshot() ([]statsCase, statsReach) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]statsCase, 0, len(s.cases))
	reach := statsReach{Dropped: s.dropped, DroppedUntil: s.droppedUntil, Cases: len(s.cases)}
	for id, e := range s.cases {
		c := e.c
		sc := statsCase{ID: id, Code: c.Rule.Code, CodeName: c.Rule.Name, Rule: c.Rule.ID, Camera: c.Camera.ID,
			CameraName: c.Camera.Name, Grid: c.Camera.Grid, Address: c.Camera.Address,
			Latitude: c.Camera.Latitude, Longitude: c.Camera.Longitude,
			Verdicts: append([]cases.Verdict(nil), s.verdicts[id]...)}
		if cr := s.rechecks[id]; cr != nil {
			for _, v := range cr.list {
				if v.Status != "" {
					if sc.Rechecks == nil {
						sc.Rechecks = map[string]int{}
					}
					sc.Rechecks[v.Status]++
				}
			}
		}
		for _, ev := range e.events {
			switch ev.Event {
			case cases.EventOpened:
				sc.Opened = ev.At
			case cases.EventWarning:
				sc.Warned = ev.At
			case cases.EventWithdrawn:
				sc.Withdrawn = true
			}
		}
		switch c.Event {
		case cases.EventOpened, cases.EventUpdated, cases.EventClosed:
			if sc.Opened.IsZero() { // its "opened" not held: the case's confirmation
				sc.Opened = c.ConfirmedAt
			}
		case cases.EventWithdrawn:
			sc.Withdrawn = true
		}
		if sc.Warned.IsZero() && c.Warning != nil {
			sc.Warned = c.Warning.At
		}
		for _, t := range []time.Time{sc.Warned, sc.Opened} {
			if !t.IsZero() && (reach.Since.IsZero() || t.Before(reach.Since)) {
				reach.Since = t
			}
		}
		out = append(out, sc)
	}
	for id := range s.verdicts {
		if _, ok := s.cases[id]; !ok {
			reach.Orphans += len(s.verdicts[id])
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, reach
}

// Figures are the office's figures over a set of cases.
type Figures struct {
	// Opened (上报案件量) counts the cases opened in the range; Confirmed
	// (核实通过) and Rejected (不予立案) those of them whose newest verdict
	// says so; Waiting (待核实) those without a verdict. Handled
	// (上报案件处置数量) is Confirmed + Rejected.
	Opened, Confirmed, Rejected, Waiting, Handled int
	// Reasons counts the rejections by reason (cases.Reasons).
	Reasons map[string]int
	// Warnings counts the warnings given in the range (rules with a
	// correction window); Withdrawn those of them withdrawn (已整改).
	Warnings, Withdrawn int
	// Changed counts the cases whose verdict was given again (a second
	// verdict).
	Changed int
	// Rechecks counts the answered re-checks (核查) of the cases opened in
	// the range; RecheckGone those answered gone (the problem fixed).
	Rechecks, RecheckGone int
	// P50 and P95 are the time from opening to the first verdict of the
	// handled cases (nearest rank); zero without a handled case.
	P50, P95 time.Duration
	durs     []time.Duration
}

// ShareHandled is 案件上报处置率: Handled / Opened (0 without cases).
func (f *Figures) ShareHandled() float64 { return ratio(f.Handled, f.Opened) }

// ShareConfirmed is the share of the handled cases confirmed: precision as
// the office sees it (0 without a handled case).
func (f *Figures) ShareConfirmed() float64 { return ratio(f.Confirmed, f.Handled) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// addOpened counts an opened case.
func (f *Figures) addOpened(c *statsCase) {
	f.Opened++
	for status, n := range c.Rechecks {
		f.Rechecks += n
		if status == cases.RecheckGone {
			f.RecheckGone += n
		}
	}
	v := c.latestVerdict
	switch {
	case v == nil:
		f.Waiting++
		return
	case v.Verdict == cases.VerdictConfirmed:
		f.Confirmed++
	default:
		f.Rejected++
		if f.Reasons == nil {
			f.Reasons = map[string]int{}
		}
		f.Reasons[v.Reason]++
	}
	f.Handled++
	if len(c.Verdicts) > 1 {
		f.Changed++
	}
	f.durs = append(f.durs, max(0, c.firstVerdict.At.Sub(c.Opened)))
}

// addWarning counts a warning.
func (f *Figures) addWarning(c *statsCase) {
	f.Warnings++
	if c.Withdrawn {
		f.Withdrawn++
	}
}

// finish computes the percentiles.
func (f *Figures) finish() {
	sort.Slice(f.durs, func(i, j int) bool { return f.durs[i] < f.durs[j] })
	f.P50, f.P95 = nearestRank(f.durs, 0.50), nearestRank(f.durs, 0.95)
	f.durs = nil
}

// nearestRank is the p-th percentile of sorted ds by the nearest-rank
// method: the smallest value with at least p of the values at or below it.
func nearestRank(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	n := int(p*float64(len(ds)) + 0.999999999)
	return ds[min(max(n, 1), len(ds))-1]
}

// prepare sets each case's first and newest verdict (by time, topic order
// on a tie).
func prepare(cs []statsCase) {
	for i := range cs {
		c := &cs[i]
		for j := range c.Verdicts {
			v := &c.Verdicts[j]
			if c.firstVerdict == nil || v.At.Before(c.firstVerdict.At) {
				c.firstVerdict = v
			}
			if c.latestVerdict == nil || !v.At.Before(c.latestVerdict.At) {
				c.latestVerdict = v
			}
		}
	}
}
