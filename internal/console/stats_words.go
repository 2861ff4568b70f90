package console

import (
	"strconv"
	"time"
)

// The statistics' words come from the catalogue in the request's
// language (the page, the CSV and the XLSX alike).

// Span formats a time to verdict with the catalogue's dwell ("—"
// without a handled case).
func (v *statsView) Span(d time.Duration, handled int) string {
	if handled == 0 {
		return "—"
	}
	return v.m.dwell(d.Seconds())
}

// Days names the weekdays, Monday first.
func (v *statsView) Days() []string {
	out := make([]string, 7)
	for i := range out {
		out[i] = v.m.t("stats.day." + strconv.Itoa(i))
	}
	return out
}

// PeriodName names a period (day, week, month).
func (v *statsView) PeriodName(p string) string { return v.m.enum("stats.period", p) }

// DimName names a dimension (code, camera, grid, rule).
func (v *statsView) DimName(d string) string { return v.m.enum("stats.dim", d) }

// ReasonName names a rejection reason (the reason itself when unknown).
func (v *statsView) ReasonName(r string) string { return v.m.enum("reason", r) }

// RowLabel is a dimension value's label; the cases without a grid have
// none and are named by the catalogue.
func (v *statsView) RowLabel(label string) string {
	if label == "" && v.Dim == dimGrid {
		return v.m.t("stats.no_grid")
	}
	return label
}

// allLabel names the totals' rows of the exports.
func (v *statsView) allLabel() string { return v.m.t("stats.all") }
