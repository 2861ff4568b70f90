package console

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"path"
	"slices"
	"time"

	"github.com/patrol-city/patrol/cases"
)

// Re-checks (核查) on the case page: a dispatcher asks the camera's worker
// whether the case's subject is still there (a request on
// kafka.rechecks_topic); the answers on that topic, read like the cases,
// are listed on the page with their fresh pictures.

// recheckHistory is how many re-checks the console keeps per case.
const recheckHistory = 20

// RecheckView is one re-check of a case: the request and, once it came,
// its answer.
type RecheckView struct {
	RequestID   string    `json:"request_id"`
	User        string    `json:"user,omitempty"`
	RequestedAt time.Time `json:"requested_at"`
	// Status is "" until the answer came: present, gone or unknown.
	Status     string     `json:"status,omitempty"`
	Reason     string     `json:"reason,omitempty"`
	Worker     string     `json:"worker,omitempty"`
	Score      float64    `json:"score,omitempty"`
	AnsweredAt *time.Time `json:"answered_at,omitempty"`
	// Picture is the fresh picture's address on the console ("" none).
	Picture string `json:"picture,omitempty"`
}

// caseRechecks are a case's re-checks, oldest first, and their pictures
// by file name.
type caseRechecks struct {
	list     []RecheckView
	pictures map[string]cases.Evidence
}

// addRecheck applies one message of the re-checks topic.
func (s *Store) addRecheck(key string, raw []byte) error {
	m, err := cases.ParseRecheck(key, raw)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cr := s.rechecks[m.CaseID]
	if cr == nil {
		if len(s.rechecks) >= s.maxCases {
			// A bound (bounds.go): re-checks of cases the console does not
			// hold go first, then everything.
			for id := range s.rechecks {
				if _, ok := s.cases[id]; !ok {
					delete(s.rechecks, id)
				}
			}
			if len(s.rechecks) >= s.maxCases {
				s.rechecks = map[string]*caseRechecks{}
			}
		}
		cr = &caseRechecks{pictures: map[string]cases.Evidence{}}
		s.rechecks[m.CaseID] = cr
	}
	i := slices.IndexFunc(cr.list, func(v RecheckView) bool { return v.RequestID == m.RequestID })
	if i < 0 {
		cr.list = append(cr.list, RecheckView{RequestID: m.RequestID})
		i = len(cr.list) - 1
	}
	v := &cr.list[i]
	switch m.Type {
	case cases.RecheckRequest:
		v.User, v.RequestedAt = m.User, *m.RequestedAt
	case cases.RecheckAnswer:
		if v.Status != "" {
			return nil // a repeat: the first answer stands
		}
		v.Status, v.Reason, v.Worker, v.Score, v.AnsweredAt = m.Status, m.Reason, m.Worker, m.Score, m.AnsweredAt
		if v.RequestedAt.IsZero() {
			v.RequestedAt = *m.AnsweredAt
		}
		if p := m.Picture; p != nil {
			cr.pictures[path.Base(p.Key)] = *p
			v.Picture = evidenceURL(m.CaseID, *p)
		}
	}
	if len(cr.list) > recheckHistory {
		cr.list = append(cr.list[:0:0], cr.list[len(cr.list)-recheckHistory:]...)
	}
	return nil
}

// rechecksOf returns a case's re-checks, newest first (s.mu held).
func (s *Store) rechecksOf(caseID string) []RecheckView {
	cr := s.rechecks[caseID]
	if cr == nil {
		return nil
	}
	out := slices.Clone(cr.list)
	slices.Reverse(out)
	return out
}

// recheckRequest is the body of POST /api/cases/{id}/recheck (empty).
type recheckRequest struct{}

// postRecheck handles POST /api/cases/{id}/recheck (dispatchers): a
// request about the case's subject is written to kafka.rechecks_topic
// (key camera id); the page then polls GET /api/cases/{id}/rechecks for
// the answer.
func (s *Server) postRecheck(w http.ResponseWriter, r *http.Request, ss *session) {
	id := r.PathValue("id")
	var body recheckRequest
	if err := decodeJSON(r, &body); err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	c, _, ok := s.store.caseByID(id)
	if !ok {
		apiError(w, http.StatusNotFound, "no such case")
		return
	}
	subj := c.Objects[0]
	for _, o := range c.Objects {
		if o.Role == "subject" {
			subj = o
			break
		}
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	now := s.deps.Now().UTC()
	req := cases.Recheck{SchemaVersion: cases.SchemaVersion, Type: cases.RecheckRequest, RequestID: "console-" + hex.EncodeToString(rnd[:]),
		CaseID: id, CameraID: c.Camera.ID, RequestedAt: &now, User: ss.user, Subject: &cases.RecheckSubject{Label: subj.Label, Box: subj.Box}}
	raw, err := json.Marshal(req)
	if err == nil {
		err = req.Validate()
	}
	if err != nil {
		apiError(w, http.StatusBadRequest, "recheck: "+err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), writeTimeout)
	defer cancel()
	if err := s.rechecksW.WriteCase(ctx, c.Camera.ID, raw); err != nil {
		s.log.Error("console: recheck not written", "case", id, "err", err)
		apiError(w, http.StatusBadGateway, "recheck not sent: Kafka unavailable, try again")
		return
	}
	if err := s.store.addRecheck(c.Camera.ID, raw); err != nil {
		s.log.Warn("console: recheck not kept", "case", id, "err", err)
	}
	s.log.Info("console: recheck requested", "case", id, "camera", c.Camera.ID, "request", req.RequestID, "user", ss.user)
	writeJSON(w, http.StatusOK, map[string]string{"request_id": req.RequestID})
}

// getRechecks handles GET /api/cases/{id}/rechecks: the case's re-checks,
// newest first.
func (s *Server) getRechecks(w http.ResponseWriter, r *http.Request, _ *session) {
	s.store.mu.RLock()
	out := s.store.rechecksOf(r.PathValue("id"))
	s.store.mu.RUnlock()
	if out == nil {
		out = []RecheckView{}
	}
	writeJSON(w, http.StatusOK, out)
}
