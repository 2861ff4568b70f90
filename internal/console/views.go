package console

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/publisher/health"
)

// queueData fills the queue page.
type queueData struct {
	Filter Filter
	// Query is the filter's query string (url.Values.Encode), typed so
	// that the links to the cases keep it as is instead of escaping it
	// into one opaque component.
	Query   template.URL
	Items   []Item
	Total   int
	Options Options
	States  []string
	// Error says why the filters were refused (400, no cases listed).
	Error string
}

// queuePage serves GET /queue: the cases passing the filters, newest
// first; a plate that cannot be one answers 400 with the form and the
// reason.
func (s *Server) queuePage(w http.ResponseWriter, r *http.Request, ss *session) {
	f := filterFrom(r.URL.Query())
	d := queueData{Filter: f, Options: s.store.options(), States: []string{cases.EventWarning, cases.EventOpened, cases.EventUpdated, cases.EventClosed, cases.EventWithdrawn}}
	status := http.StatusOK
	if err := f.check(); err != nil {
		d.Error, status = s.msgs(w).t("queue.bad_plate", "Plate", f.Plate), http.StatusBadRequest
	} else {
		d.Query = template.URL(f.Query())
		d.Items, d.Total = s.store.Queue(f)
	}
	s.pageT(w, ss, status, "queue", "title.queue", d)
}

// apiQueue serves GET /api/queue: the same as JSON.
func (s *Server) apiQueue(w http.ResponseWriter, r *http.Request, _ *session) {
	f := filterFrom(r.URL.Query())
	if err := f.check(); err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	items, n := s.store.Queue(f)
	writeJSON(w, http.StatusOK, map[string]any{"total": n, "items": items})
}

// reasonView is a rejection reason with its key (its words are the
// catalogue's reason_long.ID).
type reasonView struct {
	Key int
	ID  string
}

// caseData fills the case page.
type caseData struct {
	CaseView
	Query       string
	Next        string
	Reasons     []reasonView
	SuppressFor float64 // seconds
}

// casePage serves GET /cases/{id}.
func (s *Server) casePage(w http.ResponseWriter, r *http.Request, ss *session) {
	id := r.PathValue("id")
	v, ok := s.store.view(id)
	if !ok {
		s.errorPage(w, ss, http.StatusNotFound, "error.no_case", "ID", id)
		return
	}
	q := r.URL.Query()
	f := filterFrom(q)
	if f.check() != nil {
		q.Del("plate") // a bad plate in a link: the next case ignores it
		f = filterFrom(q)
	}
	next := "/queue"
	if n := s.store.Next(f, id); n != "" {
		next = "/cases/" + url.PathEscape(n)
	}
	if q := f.Query(); q != "" {
		next += "?" + q
	}
	d := caseData{CaseView: v, Query: f.Query(), Next: next, SuppressFor: s.cfg.Console.SuppressFor.Seconds()}
	for i, rs := range cases.Reasons {
		d.Reasons = append(d.Reasons, reasonView{Key: i + 1, ID: rs})
	}
	title := v.Rule.Code + " " + v.Rule.Name + " · " + v.Camera.ID
	s.page(w, ss, http.StatusOK, "case", title, d)
}

// apiCase serves GET /api/cases/{id}.
func (s *Server) apiCase(w http.ResponseWriter, r *http.Request, _ *session) {
	v, ok := s.store.view(r.PathValue("id"))
	if !ok {
		apiError(w, http.StatusNotFound, "no such case")
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// camerasPage serves GET /cameras.
func (s *Server) camerasPage(w http.ResponseWriter, _ *http.Request, ss *session) {
	s.pageT(w, ss, http.StatusOK, "cameras", "title.cameras", s.Cameras())
}

// cameraData fills the camera page and the zone editor.
type cameraData struct {
	CameraRow
	History []health.Event
	Open    int
	Now     time.Time
}

// cameraPage serves GET /cameras/{id}: the current picture with the
// zones drawn over it, the health history (newest first) and the
// camera's open cases.
func (s *Server) cameraPage(w http.ResponseWriter, r *http.Request, ss *session) {
	s.cameraView(w, r, ss, "camera")
}

// zonesPage serves GET /cameras/{id}/zones: the zone editor.
func (s *Server) zonesPage(w http.ResponseWriter, r *http.Request, ss *session) {
	s.cameraView(w, r, ss, "zones")
}

func (s *Server) cameraView(w http.ResponseWriter, r *http.Request, ss *session, name string) {
	id := r.PathValue("id")
	if config.CheckID(id) != nil {
		s.errorPage(w, ss, http.StatusBadRequest, "error.bad_camera_id")
		return
	}
	row, ok := s.cameraRow(id)
	if !ok {
		s.errorPage(w, ss, http.StatusNotFound, "error.no_camera", "ID", id)
		return
	}
	if name == "zones" && !row.InRegistry {
		s.errorPage(w, ss, http.StatusNotFound, "error.not_in_registry", "ID", id)
		return
	}
	hist := s.store.healthOf(id)
	slices.Reverse(hist)
	_, open := s.store.Queue(Filter{Camera: id, Status: statusReview})
	s.pageT(w, ss, http.StatusOK, name, "title."+name, cameraData{CameraRow: row, History: hist, Open: open, Now: s.deps.Now()}, "ID", id)
}

// suppressionRow is a suppression with whether it is still in force.
type suppressionRow struct {
	cases.Suppression
	Active bool
}

// suppressionsPage serves GET /suppressions.
func (s *Server) suppressionsPage(w http.ResponseWriter, _ *http.Request, ss *session) {
	now := s.deps.Now()
	var rows []suppressionRow
	for _, x := range s.Suppressions() {
		rows = append(rows, suppressionRow{Suppression: x, Active: now.Before(x.Expires)})
	}
	s.pageT(w, ss, http.StatusOK, "suppressions", "title.suppressions", rows)
}
