package console

import (
	"sort"
	"strconv"

	"github.com/patrol-city/patrol/cases"
)

// What the console keeps in memory is bounded, whatever the topics hold
// (they are Kafka input: anyone who may write them could grow the console
// without end). Beyond a bound the console drops, first:
//   - cases: beyond maxCases (defaultMaxCases), a tenth of them at once: the closed,
//     withdrawn or decided ones before the others, oldest confirmation
//     first, with their verdicts and re-checks (figures over all time come from the
//     topics, which keep them);
//   - a case's events: beyond maxCaseEvents, the oldest "updated" ones (the
//     first event and the newest stay);
//   - verdicts: beyond maxCaseVerdicts for one case, the oldest;
//   - cameras' health: beyond maxHealthCameras cameras, the camera whose
//     newest event is oldest (each camera keeps healthHistory events).
const (
	defaultMaxCases  = 200000
	maxCaseEvents    = 200
	maxCaseVerdicts  = 20
	maxHealthCameras = 20000
)

// trimEvents keeps e's first event and its newest ones, and the
// de-duplication keys of those; mu must be held.
func (e *caseEntry) trimEvents() {
	if len(e.events) <= maxCaseEvents {
		return
	}
	e.events = append(e.events[:1:1], e.events[len(e.events)-maxCaseEvents+1:]...)
	if len(e.seen) > 2*maxCaseEvents {
		e.seen = map[string]bool{}
		for _, ev := range e.events {
			e.seen[strconv.Itoa(ev.Seq)] = true
		}
	}
}

// settled reports whether a case needs nobody any more: closed, withdrawn
// or decided.
func (s *Store) settled(id string, e *caseEntry) bool {
	return e.c.Event == cases.EventClosed || e.c.Event == cases.EventWithdrawn || len(s.verdicts[id]) > 0
}

// evictCases drops a tenth of maxCases when the store holds more than
// maxCases cases; mu must be held.
func (s *Store) evictCases() {
	maxCases := s.maxCases
	if len(s.cases) <= maxCases {
		return
	}
	type cand struct {
		id      string
		settled bool
		e       *caseEntry
	}
	all := make([]cand, 0, len(s.cases))
	for id, e := range s.cases {
		all = append(all, cand{id, s.settled(id, e), e})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].settled != all[j].settled {
			return all[i].settled
		}
		return all[i].e.c.ConfirmedAt.Before(all[j].e.c.ConfirmedAt)
	})
	drop := len(s.cases) - maxCases + maxCases/10
	for _, c := range all[:drop] {
		if c.e.c.ConfirmedAt.After(s.droppedUntil) {
			s.droppedUntil = c.e.c.ConfirmedAt
		}
		delete(s.cases, c.id)
		delete(s.verdicts, c.id)
		delete(s.rechecks, c.id)
	}
	s.dropped += uint64(drop)
	// Verdicts of cases the console never saw are bounded with them.
	if len(s.verdicts) > maxCases {
		for id := range s.verdicts {
			if _, ok := s.cases[id]; !ok {
				delete(s.verdicts, id)
			}
		}
	}
}

// evictHealth drops the camera whose newest health event is oldest when
// more than maxHealthCameras are known; mu must be held.
func (s *Store) evictHealth() {
	for len(s.health) > maxHealthCameras {
		oldest := ""
		for id, h := range s.health {
			if oldest == "" || h.newest().Before(s.health[oldest].newest()) {
				oldest = id
			}
		}
		delete(s.health, oldest)
	}
}
