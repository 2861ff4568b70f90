package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/patrol-city/patrol/cases"
)

// writeTimeout bounds one write to Kafka from a request.
const writeTimeout = 10 * time.Second

// verdictRequest is the body of POST /api/cases/{id}/verdict.
type verdictRequest struct {
	// Verdict is "confirmed" or "rejected".
	Verdict string `json:"verdict"`
	// Reason (rejections) is one of cases.Reasons; Note is free text
	// (required for "other").
	Reason string `json:"reason"`
	Note   string `json:"note"`
	// Seq is the case event shown (0: the newest).
	Seq int `json:"seq"`
	// Suppress, with a rejection, stops repeats: a suppression of the
	// subject's place for console.suppress_for.
	Suppress bool `json:"suppress"`
	// Filter is the queue's query string, for the next case.
	Filter string `json:"filter"`
}

// verdictResponse answers it.
type verdictResponse struct {
	Verdict     cases.Verdict      `json:"verdict"`
	Suppression *cases.Suppression `json:"suppression,omitempty"`
	// Next is where the dispatcher goes next: the next case to review, or
	// the queue when none is left.
	Next string `json:"next"`
}

// postVerdict handles POST /api/cases/{id}/verdict (dispatchers): the
// verdict, validated against its schema, is written to
// console.verdicts_topic (key case id, user = the session's, at = now);
// a rejection with suppress first writes a suppression to
// console.suppressions_topic and names it in the verdict.
func (s *Server) postVerdict(w http.ResponseWriter, r *http.Request, ss *session) {
	id := r.PathValue("id")
	var req verdictRequest
	if err := decodeJSON(r, &req); err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	c, latest, ok := s.store.caseByID(id)
	if !ok {
		apiError(w, http.StatusNotFound, "no such case")
		return
	}
	if req.Seq == 0 {
		req.Seq = latest
	}
	if req.Seq < 1 || req.Seq > latest {
		apiError(w, http.StatusBadRequest, fmt.Sprintf("seq %d: the case has events 1..%d", req.Seq, latest))
		return
	}
	now := s.deps.Now().UTC()
	v := cases.Verdict{SchemaVersion: 1, CaseID: id, CameraID: c.Camera.ID, Seq: req.Seq, Verdict: req.Verdict,
		Note: req.Note, User: ss.user, At: now}
	if req.Verdict == cases.VerdictRejected {
		v.Reason = req.Reason
	}
	var sup *cases.Suppression
	if req.Suppress {
		if req.Verdict != cases.VerdictRejected {
			apiError(w, http.StatusBadRequest, "only a rejection suppresses repeats")
			return
		}
		x := suppressionFor(c, v, s.cfg.Console.SuppressFor)
		sup = &x
		v.SuppressionID = x.ID
	}
	raw, err := json.Marshal(v)
	if err == nil {
		err = cases.ValidateVerdictJSON(raw)
	}
	if err != nil {
		apiError(w, http.StatusBadRequest, "verdict: "+err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), writeTimeout)
	defer cancel()
	if sup != nil {
		if err := s.writeSuppression(ctx, *sup); err != nil {
			s.log.Error("console: suppression not written", "case", id, "err", err)
			apiError(w, http.StatusBadGateway, "suppression not stored: Kafka unavailable, try again")
			return
		}
	}
	if err := s.verdictsW.WriteCase(ctx, id, raw); err != nil {
		s.log.Error("console: verdict not written", "case", id, "err", err)
		apiError(w, http.StatusBadGateway, "verdict not stored: Kafka unavailable, try again")
		return
	}
	s.store.addVerdict(v)
	s.log.Info("console: verdict", "case", id, "verdict", v.Verdict, "reason", v.Reason, "user", v.User, "suppression", v.SuppressionID)
	q, _ := url.ParseQuery(req.Filter)
	f := filterFrom(q)
	next := "/queue"
	if n := s.store.Next(f, id); n != "" {
		next = "/cases/" + url.PathEscape(n)
	}
	if qs := f.Query(); qs != "" {
		next += "?" + qs
	}
	writeJSON(w, http.StatusOK, verdictResponse{Verdict: v, Suppression: sup, Next: next})
}

// suppressionFor is the suppression of a rejected case's repeats: the
// camera and the case's zone, the subject's box grown by 10 % (about its
// centre, clamped to the picture), the subject's class, until now +
// length.
func suppressionFor(c cases.Case, v cases.Verdict, length time.Duration) cases.Suppression {
	subj := c.Objects[0]
	for _, o := range c.Objects {
		if o.Role == "subject" {
			subj = o
			break
		}
	}
	return cases.Suppression{SchemaVersion: 1, ID: cases.SuppressionID(c.CaseID, v.At), CameraID: c.Camera.ID,
		ZoneID: c.ZoneID, Region: grow(subj.Box, 0.10), Classes: []string{subj.Label}, Expires: v.At.Add(length),
		CaseID: c.CaseID, Reason: v.Reason, User: v.User, At: v.At}
}

// grow enlarges box [x, y, w, h] by frac of its size about its centre,
// clamped to 0..1.
func grow(b [4]float64, frac float64) [4]float64 {
	cx, cy := b[0]+b[2]/2, b[1]+b[3]/2
	w, h := b[2]*(1+frac), b[3]*(1+frac)
	x0, y0 := clamp01(cx-w/2), clamp01(cy-h/2)
	x1, y1 := clamp01(cx+w/2), clamp01(cy+h/2)
	return [4]float64{x0, y0, x1 - x0, y1 - y0}
}

func clamp01(v float64) float64 { return min(1, max(0, v)) }

// writeSuppression validates s and writes it (key = id).
func (s *Server) writeSuppression(ctx context.Context, sup cases.Suppression) error {
	raw, err := json.Marshal(sup)
	if err != nil {
		return err
	}
	if err := cases.ValidateSuppressionJSON(raw); err != nil {
		return fmt.Errorf("suppression: %w", err)
	}
	return s.suppressW.WriteCase(ctx, sup.ID, raw)
}

// deleteSuppression handles DELETE /api/suppressions/{id} (dispatchers):
// a tombstone under the id removes it.
func (s *Server) deleteSuppression(w http.ResponseWriter, r *http.Request, ss *session) {
	id := r.PathValue("id")
	if _, ok := s.suppressions.Get(id); !ok {
		apiError(w, http.StatusNotFound, "no such suppression")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), writeTimeout)
	defer cancel()
	if err := s.suppressW.WriteCase(ctx, id, nil); err != nil {
		s.log.Error("console: suppression not removed", "id", id, "err", err)
		apiError(w, http.StatusBadGateway, "not removed: Kafka unavailable, try again")
		return
	}
	s.log.Info("console: suppression removed", "id", id, "user", ss.user)
	// Wait (briefly) until the table has read the tombstone, so that the
	// list shown next no longer has it.
	_ = s.suppressions.Sync(ctx)
	writeJSON(w, http.StatusOK, map[string]string{"removed": id})
}

// Suppressions returns the suppressions in force and expired ones still
// on the topic, newest first.
func (s *Server) Suppressions() []cases.Suppression {
	var out []cases.Suppression
	for _, e := range s.suppressions.All() {
		var x cases.Suppression
		if err := json.Unmarshal(e.Value, &x); err != nil {
			continue
		}
		out = append(out, x)
	}
	slices.SortFunc(out, func(a, b cases.Suppression) int { return b.At.Compare(a.At) })
	return out
}

// decodeJSON reads a JSON body of at most 1 MiB with no unknown fields.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("bad request body: %w", err)
	}
	if dec.More() {
		return errors.New("bad request body: more than one JSON value")
	}
	return nil
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// apiError answers {"error": msg}.
func apiError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
