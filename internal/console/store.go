package console

import (
	"encoding/json"
	"log/slog"
	"path"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/publisher/health"
)

// healthHistory is how many health events the console keeps per camera.
const healthHistory = 200

// Store is what the console knows, built from Kafka only: every case
// event (de-duplicated by case id and seq), every verdict, and the
// health events of every camera. It is safe for concurrent use.
type Store struct {
	casesTopic, healthTopic, verdictsTopic, rechecksTopic string
	log                                                   *slog.Logger
	synced                                                atomic.Bool

	mu       sync.RWMutex
	cases    map[string]*caseEntry
	verdicts map[string][]cases.Verdict // case id -> verdicts in topic order
	health   map[string]*cameraHealth
	// dropped counts the cases dropped by the memory bound (bounds.go),
	// beyond maxCases (defaultMaxCases).
	dropped  uint64
	maxCases int
	rechecks map[string]*caseRechecks // case id -> its re-checks
	// droppedUntil is the newest confirmation among the dropped cases: the
	// statistics are complete from there on.
	droppedUntil time.Time
}

// caseEntry is one case and its events.
type caseEntry struct {
	// c is the newest event's case (highest seq).
	c      cases.Case
	seq    int
	events []caseEvent
	// evidence is every object of every event, by the key's file name:
	// the only objects the console streams for the case.
	evidence map[string]cases.Evidence
	seen     map[string]bool
}

// caseEvent is one event of a case.
type caseEvent struct {
	Seq      int              `json:"seq"`
	Event    string           `json:"event"`
	At       time.Time        `json:"at"`
	Severity string           `json:"severity,omitempty"`
	Evidence []cases.Evidence `json:"-"`
}

// cameraHealth is a camera's health events, oldest first.
type cameraHealth struct {
	events []health.Event
}

// newest is the time of the camera's newest health event.
func (h *cameraHealth) newest() time.Time {
	if len(h.events) == 0 {
		return time.Time{}
	}
	return h.events[len(h.events)-1].At
}

func newStore(casesTopic, healthTopic, verdictsTopic, rechecksTopic string, log *slog.Logger) *Store {
	return &Store{casesTopic: casesTopic, healthTopic: healthTopic, verdictsTopic: verdictsTopic, rechecksTopic: rechecksTopic, log: log,
		cases: map[string]*caseEntry{}, verdicts: map[string][]cases.Verdict{}, health: map[string]*cameraHealth{},
		rechecks: map[string]*caseRechecks{}, maxCases: defaultMaxCases}
}

// apply takes one record of a followed topic; a record that does not
// parse is logged and skipped.
func (s *Store) apply(r *kgo.Record) {
	var err error
	switch r.Topic {
	case s.casesTopic:
		err = s.addCase(r.Value)
	case s.healthTopic:
		err = s.addHealth(r.Value)
	case s.rechecksTopic:
		err = s.addRecheck(string(r.Key), r.Value)
	case s.verdictsTopic:
		var v cases.Verdict
		if err = cases.ValidateVerdictJSON(r.Value); err == nil {
			if err = json.Unmarshal(r.Value, &v); err == nil {
				s.addVerdict(v)
			}
		}
	}
	if err != nil {
		s.log.Warn("console: message skipped", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "err", err)
	}
}

// wireCase is a case message: the case and its seq.
type wireCase struct {
	cases.Case
	Seq int `json:"seq"`
}

func (s *Store) addCase(raw []byte) error {
	var w wireCase
	if err := json.Unmarshal(raw, &w); err != nil {
		return err
	}
	if err := w.Validate(); err != nil {
		return err
	}
	dedup := strconv.Itoa(w.Seq)
	if w.Seq <= 0 { // seq is optional in the schema
		dedup = w.Event + "@" + w.PublishedAt.Format(time.RFC3339Nano)
	}
	at := w.EventTime
	if at.IsZero() {
		at = w.ConfirmedAt
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.cases[w.CaseID]
	if e == nil {
		e = &caseEntry{evidence: map[string]cases.Evidence{}, seen: map[string]bool{}}
		s.cases[w.CaseID] = e
		defer s.evictCases()
	}
	if e.seen[dedup] {
		return nil // a duplicate (at-least-once delivery)
	}
	e.seen[dedup] = true
	if w.Seq >= e.seq {
		e.c, e.seq = w.Case, w.Seq
	}
	ev := caseEvent{Seq: w.Seq, Event: w.Event, At: at, Severity: w.Severity, Evidence: w.Evidence}
	i := len(e.events)
	for i > 0 && e.events[i-1].Seq > w.Seq {
		i--
	}
	e.events = append(e.events, caseEvent{})
	copy(e.events[i+1:], e.events[i:])
	e.events[i] = ev
	e.trimEvents()
	for _, x := range w.Evidence {
		if _, ok := e.evidence[path.Base(x.Key)]; !ok {
			e.evidence[path.Base(x.Key)] = x
		}
	}
	return nil
}

func (s *Store) addVerdict(v cases.Verdict) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.verdicts[v.CaseID] {
		if o.At.Equal(v.At) && o.User == v.User && o.Verdict == v.Verdict {
			return // already applied (written by this console, then read back)
		}
	}
	s.verdicts[v.CaseID] = append(s.verdicts[v.CaseID], v)
	if vs := s.verdicts[v.CaseID]; len(vs) > maxCaseVerdicts {
		s.verdicts[v.CaseID] = append(vs[:0:0], vs[len(vs)-maxCaseVerdicts:]...)
	}
}

func (s *Store) addHealth(raw []byte) error {
	var ev health.Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return err
	}
	if ev.CameraID == "" || ev.Kind == "" {
		return errMissing("camera_id and kind")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.health[ev.CameraID]
	if h == nil {
		h = &cameraHealth{}
		s.health[ev.CameraID] = h
		defer s.evictHealth()
	}
	for _, o := range h.events {
		if ev.EventID != "" && o.EventID == ev.EventID {
			return nil
		}
	}
	h.events = append(h.events, ev)
	if len(h.events) > healthHistory {
		h.events = append(h.events[:0:0], h.events[len(h.events)-healthHistory:]...)
	}
	return nil
}

type errMissing string

func (e errMissing) Error() string { return "missing " + string(e) }

// owner is the worker of the camera's newest health event.
func (s *Store) owner(camera string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	h := s.health[camera]
	if h == nil || len(h.events) == 0 {
		return "", false
	}
	return h.events[len(h.events)-1].Worker, true
}

// evidence returns the object named name of a case the console knows
// (an object of its events, or a re-check's picture).
func (s *Store) evidence(caseID, name string) (cases.Evidence, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if e := s.cases[caseID]; e != nil {
		if x, ok := e.evidence[name]; ok {
			return x, true
		}
	}
	if cr := s.rechecks[caseID]; cr != nil {
		x, ok := cr.pictures[name]
		return x, ok
	}
	return cases.Evidence{}, false
}

// count is the number of cases known.
func (s *Store) count() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.cases)
}
