package console

import (
	"net/url"
	"path"

	"github.com/patrol-city/patrol/cases"
)

// CaseView is a case as its page shows it.
type CaseView struct {
	Item
	// Case is the newest event's case without its evidence (bucket keys
	// and presigned URLs stay on the server).
	Case     cases.Case      `json:"case"`
	Subject  cases.Object    `json:"subject"`
	Events   []EventView     `json:"events"`
	Verdicts []cases.Verdict `json:"verdicts"`
	// Rechecks are the re-checks asked about the case, newest first.
	Rechecks []RecheckView `json:"rechecks"`
	// Evidence addresses on the console (empty when absent): the
	// confirmation clip, the arrival clip, the annotated confirmation
	// snapshot, the clean stills at first sight and at confirmation, and
	// the recheck picture of the closed event.
	Clip         string `json:"clip,omitempty"`
	Arrival      string `json:"arrival,omitempty"`
	Snapshot     string `json:"snapshot,omitempty"`
	FirstSight   string `json:"first_sight,omitempty"`
	Confirmation string `json:"confirmation,omitempty"`
	Recheck      string `json:"recheck,omitempty"`
	// Redacted are the redacted copies of the case's snapshots (faces
	// and the other vehicles' plates blurred, for sharing), in event
	// order.
	Redacted []RedactedView `json:"redacted,omitempty"`
	// Earlier are the cases confirmed before this one with the same plate
	// text, newest first (at most maxEarlier of EarlierTotal).
	Earlier      []Item `json:"earlier_same_plate,omitempty"`
	EarlierTotal int    `json:"earlier_same_plate_total,omitempty"`
}

// RedactedView is a redacted snapshot and the event it came with.
type RedactedView struct {
	URL   string `json:"url"`
	Seq   int    `json:"seq"`
	Event string `json:"event"`
}

// roleRedacted is the evidence role of a snapshot's redacted copy.
const roleRedacted = "redacted"

// view is the case page's view with the earlier cases of its plate.
func (s *Store) view(id string) (CaseView, bool) {
	v, ok := s.detail(id)
	if ok {
		v.Earlier, v.EarlierTotal = s.samePlate(v.Item)
	}
	return v, ok
}

// EventView is one event of the case with its pictures.
type EventView struct {
	caseEvent
	Pictures []string `json:"pictures,omitempty"`
}

// evidenceURL is where the console serves an object of a case.
func evidenceURL(caseID string, e cases.Evidence) string {
	return "/evidence/" + url.PathEscape(caseID) + "/" + url.PathEscape(path.Base(e.Key))
}

// caseByID returns the newest event's case and its seq.
func (s *Store) caseByID(id string) (cases.Case, int, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.cases[id]
	if e == nil {
		return cases.Case{}, 0, false
	}
	return e.c, e.seq, true
}

// detail builds the case page's view.
func (s *Store) detail(id string) (CaseView, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.cases[id]
	if e == nil {
		return CaseView{}, false
	}
	v := CaseView{Item: s.item(e), Case: e.c, Subject: e.c.Objects[0], Verdicts: append([]cases.Verdict(nil), s.verdicts[id]...)}
	v.Case.Evidence = nil
	v.Rechecks = s.rechecksOf(id)
	for _, o := range e.c.Objects {
		if o.Role == "subject" {
			v.Subject = o
			break
		}
	}
	// Each slot takes the first object of its kind and role, annotated
	// or clean as it prefers; the second pass takes either.
	type slot struct {
		dst       *string
		kind      string
		role      string
		annotated bool
	}
	slots := []slot{
		{&v.Clip, "clip", "confirmation", false},
		{&v.Arrival, "clip", "arrival", false},
		{&v.Snapshot, "snapshot", "confirmation", true},
		{&v.Confirmation, "snapshot", "confirmation", false},
		{&v.FirstSight, "snapshot", "first_sight", false},
		{&v.Recheck, "snapshot", "recheck", false},
	}
	role := func(x cases.Evidence) string {
		if x.Kind == "clip" && x.Role == "" {
			return "confirmation" // clips of cases from before roles
		}
		return x.Role
	}
	for _, ev := range e.events {
		ew := EventView{caseEvent: ev}
		for _, x := range ev.Evidence {
			if x.Role == roleRedacted {
				v.Redacted = append(v.Redacted, RedactedView{URL: evidenceURL(id, x), Seq: ev.Seq, Event: ev.Event})
				continue
			}
			if x.Kind == "snapshot" && ev.Event != cases.EventOpened {
				ew.Pictures = append(ew.Pictures, evidenceURL(id, x))
			}
			for _, sl := range slots {
				if x.Kind == sl.kind && role(x) == sl.role && x.Annotated == sl.annotated && *sl.dst == "" {
					*sl.dst = evidenceURL(id, x)
				}
			}
		}
		v.Events = append(v.Events, ew)
	}
	// Fall back to what exists: an annotated still when there is no
	// clean one, and the other way round.
	for _, ev := range e.events {
		for _, x := range ev.Evidence {
			for _, sl := range slots {
				if x.Kind == sl.kind && role(x) == sl.role && *sl.dst == "" {
					*sl.dst = evidenceURL(id, x)
				}
			}
		}
	}
	return v, true
}
