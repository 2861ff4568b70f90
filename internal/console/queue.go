package console

import (
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/patrol-city/patrol/cases"
)

// Review statuses of the queue's status filter.
const (
	statusReview   = "review"   // no verdict yet (the default: the queue to work through)
	statusReviewed = "reviewed" // with a verdict
	statusAll      = "all"
)

// maxQueue bounds the items one queue page lists.
const maxQueue = 500

// Filter selects cases of the queue; empty fields match everything.
type Filter struct {
	Camera, Rule, Zone, Severity string
	// State is the newest event: warning, opened, updated, closed or
	// withdrawn.
	State string
	// Status is statusReview (default), statusReviewed or statusAll
	// (the default of a plate search, which looks for every case).
	Status string
	// Plate is a plate's text (normPlate), matched exactly against the
	// published text; the pages refuse one that fails check.
	Plate string
}

// filterFrom reads a filter from query parameters.
func filterFrom(q url.Values) Filter {
	f := Filter{Camera: q.Get("camera"), Rule: q.Get("rule"), Zone: q.Get("zone"), Severity: q.Get("severity"),
		State: q.Get("state"), Status: q.Get("status"), Plate: normPlate(q.Get("plate"))}
	if f.Status != statusReview && f.Status != statusReviewed && f.Status != statusAll {
		f.Status = f.defaultStatus()
	}
	return f
}

// defaultStatus is the status of a filter without one: every case for a
// plate search, else the cases to review.
func (f Filter) defaultStatus() string {
	if f.Plate != "" {
		return statusAll
	}
	return statusReview
}

// Query encodes the filter as query parameters (without the default
// status), for links that keep it.
func (f Filter) Query() string {
	q := url.Values{}
	for k, v := range map[string]string{"camera": f.Camera, "rule": f.Rule, "zone": f.Zone, "severity": f.Severity,
		"state": f.State, "plate": f.Plate} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Status != f.defaultStatus() {
		q.Set("status", f.Status)
	}
	return q.Encode()
}

// Item is a case as the queue shows it.
type Item struct {
	CaseID      string     `json:"case_id"`
	Seq         int        `json:"seq"`
	State       string     `json:"state"`
	ConfirmedAt time.Time  `json:"confirmed_at"`
	FirstSeen   time.Time  `json:"first_seen"`
	LastSeen    *time.Time `json:"last_seen,omitempty"`
	// DwellS is how long the object has stayed as far as known: the
	// dwell at confirmation, or up to last_seen on later events.
	DwellS   float64        `json:"dwell_s"`
	Severity string         `json:"severity,omitempty"`
	Camera   cases.Camera   `json:"camera"`
	Rule     cases.Rule     `json:"rule"`
	ZoneID   string         `json:"zone_id"`
	Verdict  *cases.Verdict `json:"verdict,omitempty"`
	// Plate is the newest event's plate (nil on rules that read none).
	Plate *cases.Plate `json:"plate,omitempty"`
}

// Place is the camera's address and grid cell, else its name, else id.
func (it Item) Place() string {
	var parts []string
	for _, p := range []string{it.Camera.Address, it.Camera.Grid} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		if it.Camera.Name != "" {
			return it.Camera.Name
		}
		return it.Camera.ID
	}
	return strings.Join(parts, " · ")
}

// item builds the queue item of e; mu must be held.
func (s *Store) item(e *caseEntry) Item {
	c := e.c
	it := Item{CaseID: c.CaseID, Seq: e.seq, State: c.Event, ConfirmedAt: c.ConfirmedAt, FirstSeen: c.FirstSeen,
		LastSeen: c.LastSeen, DwellS: c.DwellS, Severity: c.Severity, Camera: c.Camera, Rule: c.Rule, ZoneID: c.ZoneID,
		Plate: c.Plate}
	if c.LastSeen != nil {
		it.DwellS = max(it.DwellS, c.LastSeen.Sub(c.FirstSeen).Seconds())
	}
	if vs := s.verdicts[c.CaseID]; len(vs) > 0 {
		v := vs[len(vs)-1]
		it.Verdict = &v
	}
	return it
}

// matches reports whether it passes f (its status included).
func (f Filter) matches(it Item) bool {
	switch {
	case f.Camera != "" && it.Camera.ID != f.Camera,
		f.Rule != "" && it.Rule.ID != f.Rule,
		f.Zone != "" && it.ZoneID != f.Zone,
		f.Severity != "" && it.Severity != f.Severity,
		f.State != "" && it.State != f.State,
		f.Plate != "" && plateText(it.Plate) != f.Plate,
		f.Status == statusReview && it.Verdict != nil,
		f.Status == statusReviewed && it.Verdict == nil:
		return false
	}
	return true
}

// all returns every case passing keep, newest confirmation first (ties
// by case id).
func (s *Store) all(keep func(Item) bool) []Item {
	s.mu.RLock()
	out := make([]Item, 0, len(s.cases))
	for _, e := range s.cases {
		if it := s.item(e); keep(it) {
			out = append(out, it)
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].ConfirmedAt.Equal(out[j].ConfirmedAt) {
			return out[i].ConfirmedAt.After(out[j].ConfirmedAt)
		}
		return out[i].CaseID < out[j].CaseID
	})
	return out
}

// Queue returns the cases passing f, newest first, at most maxQueue,
// and how many passed in all.
func (s *Store) Queue(f Filter) ([]Item, int) {
	items := s.all(f.matches)
	n := len(items)
	if n > maxQueue {
		items = items[:maxQueue]
	}
	return items, n
}

// Next is the case to review after caseID under f: the next older case
// without a verdict, else the newest one ("" when none is left).
func (s *Store) Next(f Filter, caseID string) string {
	g := f
	g.Status = statusAll
	items := s.all(g.matches)
	start := 0
	for i, it := range items {
		if it.CaseID == caseID {
			start = i + 1
			break
		}
	}
	for k := range items {
		it := items[(start+k)%len(items)]
		if it.CaseID != caseID && it.Verdict == nil {
			return it.CaseID
		}
	}
	return ""
}

// Options are the values each filter can take, from the cases known.
type Options struct {
	Cameras, Rules, Zones, Severities []string
	RuleNames                         map[string]string
}

// options lists the filter values seen in the cases.
func (s *Store) options() Options {
	o := Options{RuleNames: map[string]string{}}
	seen := map[string]bool{}
	add := func(list *[]string, kind, v string) {
		if v != "" && !seen[kind+v] {
			seen[kind+v] = true
			*list = append(*list, v)
		}
	}
	s.mu.RLock()
	for _, e := range s.cases {
		add(&o.Cameras, "c", e.c.Camera.ID)
		add(&o.Rules, "r", e.c.Rule.ID)
		add(&o.Zones, "z", e.c.ZoneID)
		add(&o.Severities, "s", e.c.Severity)
		o.RuleNames[e.c.Rule.ID] = e.c.Rule.Code + " " + e.c.Rule.Name
	}
	s.mu.RUnlock()
	for _, l := range []*[]string{&o.Cameras, &o.Rules, &o.Zones, &o.Severities} {
		sort.Strings(*l)
	}
	return o
}
