package console

import (
	"errors"
	"fmt"
	"net/http"
	"time"
	_ "time/tzdata" // console.time_zone works in an image without a zone database
)

// stats computes the figures of the request's query.
func (s *Server) stats(r *http.Request) (*Stats, error) {
	loc, err := time.LoadLocation(s.cfg.Console.TimeZone) // checked by config.Validate
	if err != nil {
		return nil, fmt.Errorf("console.time_zone: %w", err)
	}
	cs, reach := s.store.statsSnapshot()
	return computeStats(cs, reach, r.URL.Query(), loc, s.deps.Now())
}

// statsError answers a statistics request that failed.
func (s *Server) statsError(w http.ResponseWriter, ss *session, err error) {
	status := http.StatusInternalServerError
	if errors.Is(err, errStatsQuery) {
		status = http.StatusBadRequest
	}
	var qe *statsQueryError
	if errors.As(err, &qe) {
		s.errorPage(w, ss, status, qe.id, qe.args...)
		return
	}
	s.errorPage(w, ss, status, "stats.err.internal", "Err", err.Error())
}

// statsView is the statistics page's data.
type statsView struct {
	*Stats
	// Query is the request's query string, for the export links.
	Query string
	m     *messages
}

// statsPage handles GET /stats (viewers): the figures of the range by
// period and by the dimension, rejection reasons, hot spots.
func (s *Server) statsPage(w http.ResponseWriter, r *http.Request, ss *session) {
	st, err := s.stats(r)
	if err != nil {
		s.statsError(w, ss, err)
		return
	}
	s.pageT(w, ss, http.StatusOK, "stats", "title.stats", &statsView{Stats: st, Query: r.URL.RawQuery, m: s.msgs(w)})
}

// statsCSV handles GET /stats.csv (viewers).
func (s *Server) statsCSV(w http.ResponseWriter, r *http.Request, ss *session) {
	st, err := s.stats(r)
	if err != nil {
		s.statsError(w, ss, err)
		return
	}
	b, err := (&statsView{Stats: st, m: s.msgs(w)}).csv()
	if err != nil {
		s.statsError(w, ss, err)
		return
	}
	download(w, "text/csv; charset=utf-8", st.fileName("csv"), b)
}

// statsXLSX handles GET /stats.xlsx (viewers).
func (s *Server) statsXLSX(w http.ResponseWriter, r *http.Request, ss *session) {
	st, err := s.stats(r)
	if err != nil {
		s.statsError(w, ss, err)
		return
	}
	b, err := (&statsView{Stats: st, m: s.msgs(w)}).xlsx()
	if err != nil {
		s.statsError(w, ss, err)
		return
	}
	download(w, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", st.fileName("xlsx"), b)
}

// download writes b as an attachment.
func download(w http.ResponseWriter, contentType, name string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

// fileName is the export's file name: patrol-stats-FROM-TO-PERIOD-DIM.EXT.
func (st *Stats) fileName(ext string) string {
	return fmt.Sprintf("patrol-stats-%s-%s-%s-%s.%s", st.FromDate, st.ToDate, st.Period, st.Dim, ext)
}

// When formats t in the statistics' zone.
func (st *Stats) When(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(st.Zone).Format("2006-01-02 15:04")
}

// Heat is the class of an hour-of-week cell: h0 (none) to h5 (the most).
func (st *Stats) Heat(n int) string {
	if n == 0 || st.HourMax == 0 {
		return "h0"
	}
	return fmt.Sprintf("h%d", 1+4*(n-1)/max(1, st.HourMax-1))
}

// Hour labels the hours of the heat table.
func (st *Stats) Hour() []int {
	h := make([]int, 24)
	for i := range h {
		h[i] = i
	}
	return h
}

// Periods and Dims list the choices of the page's form.
func (st *Stats) Periods() []string { return []string{periodDay, periodWeek, periodMonth} }

// Dims lists the dimensions.
func (st *Stats) Dims() []string { return []string{dimCode, dimCamera, dimGrid, dimRule} }

// TopPlaces are the hot spots the page lists.
func (st *Stats) TopPlaces() []placeRow { return st.Places[:min(len(st.Places), maxPlaces)] }

// NewestFirst is ByPeriod, the newest period first (the page's order; the
// exports keep time order).
func (st *Stats) NewestFirst() []statsRow {
	out := make([]statsRow, len(st.ByPeriod))
	for i, r := range st.ByPeriod {
		out[len(out)-1-i] = r
	}
	return out
}
