package console

import (
	"errors"
	"fmt"
	"net/http"
	"time"
	_ "time/tzdata" // console.time_zone works in an image without a zone database

	"github.com/patrol-city/patrol/cases"
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
	s.errorPage(w, ss, status, err.Error())
}

// statsView is the statistics page's data.
type statsView struct {
	*Stats
	// Query is the request's query string, for the export links.
	Query string
}

// statsPage handles GET /stats (viewers): the figures of the range by
// period and by the dimension, rejection reasons, hot spots.
func (s *Server) statsPage(w http.ResponseWriter, r *http.Request, ss *session) {
	st, err := s.stats(r)
	if err != nil {
		s.statsError(w, ss, err)
		return
	}
	s.page(w, ss, http.StatusOK, "stats", "统计 Statistics", statsView{Stats: st, Query: r.URL.RawQuery})
}

// statsCSV handles GET /stats.csv (viewers).
func (s *Server) statsCSV(w http.ResponseWriter, r *http.Request, ss *session) {
	st, err := s.stats(r)
	if err != nil {
		s.statsError(w, ss, err)
		return
	}
	b, err := st.csv()
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
	b, err := st.xlsx()
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

// Span formats a time to verdict ("—" without one).
func (st *Stats) Span(d time.Duration, handled int) string {
	if handled == 0 {
		return "—"
	}
	s := int(d.Round(time.Second).Seconds())
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", s)
	case s < 3600:
		return fmt.Sprintf("%d min %02d s", s/60, s%60)
	}
	return fmt.Sprintf("%d h %02d min", s/3600, s/60%60)
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

// Days names the weekdays, Monday first.
func (st *Stats) Days() []string {
	return []string{"周一 Mon", "周二 Tue", "周三 Wed", "周四 Thu", "周五 Fri", "周六 Sat", "周日 Sun"}
}

// periodNames, dimNames and reasonNames are shown Chinese first.
var (
	periodNames = map[string]string{periodDay: "按日 by day", periodWeek: "按周 by week", periodMonth: "按月 by month"}
	dimNames    = map[string]string{dimCode: "事件编码 code", dimCamera: "摄像头 camera", dimGrid: "单元网格 grid", dimRule: "规则 rule"}
	reasonNames = map[string]string{
		cases.ReasonFalseDetection: "误报 false detection",
		cases.ReasonNotViolation:   "不构成违规 not a violation",
		cases.ReasonDuplicate:      "重复上报 duplicate",
		cases.ReasonPermitted:      "允许 permitted",
		cases.ReasonOther:          "其他 other",
	}
)

// PeriodName, DimName and ReasonName name a period, dimension and reason.
func (st *Stats) PeriodName(p string) string { return periodNames[p] }

// DimName names a dimension.
func (st *Stats) DimName(d string) string { return dimNames[d] }

// ReasonName names a rejection reason (the reason itself when unknown).
func (st *Stats) ReasonName(r string) string {
	if n, ok := reasonNames[r]; ok {
		return n
	}
	return r
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
