package console

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/patrol-city/patrol/cases"
)

// figureHeader names the figure columns of the exports in the
// request's language.
func (v *statsView) figureHeader() []string {
	var h []string
	for _, id := range []string{"stats.opened", "stats.confirmed", "stats.rejected", "stats.waiting", "stats.handled",
		"stats.share_handled", "stats.share_confirmed", "stats.p50_s", "stats.p95_s", "stats.warnings",
		"stats.withdrawn", "stats.changed", "stats.rechecks", "stats.recheck_gone"} {
		h = append(h, v.m.t(id))
	}
	for _, r := range cases.Reasons {
		h = append(h, v.m.t("stats.reason_col", "Reason", v.ReasonName(r)))
	}
	return h
}

// shareCols are the indexes of figureHeader's shares (percent in XLSX).
var shareCols = []int{5, 6}

// figureValues are f's values in figureHeader's order: shares as
// fractions rounded to 4 places, times in whole seconds (empty without a
// handled case).
func figureValues(f *Figures) []any {
	round := func(v float64) float64 { return math.Round(v*10000) / 10000 }
	var p50, p95 any = "", ""
	if f.Handled > 0 {
		p50, p95 = math.Round(f.P50.Seconds()), math.Round(f.P95.Seconds())
	}
	v := []any{f.Opened, f.Confirmed, f.Rejected, f.Waiting, f.Handled, round(f.ShareHandled()),
		round(f.ShareConfirmed()), p50, p95, f.Warnings, f.Withdrawn, f.Changed, f.Rechecks, f.RecheckGone}
	for _, r := range cases.Reasons {
		v = append(v, f.Reasons[r])
	}
	return v
}

// csv is the export as CSV with a UTF-8 byte order mark (for Excel): a
// row per period and dimension value with a case, then a row per period
// over every value, then the range's totals.
func (v *statsView) csv() ([]byte, error) {
	st, all := v.Stats, v.allLabel()
	var b bytes.Buffer
	b.WriteString("\ufeff")
	w := csv.NewWriter(&b)
	rec := func(period, key, label string, f *Figures) error {
		row := []string{period, key, v.RowLabel(label)}
		for _, v := range figureValues(f) {
			row = append(row, fmt.Sprint(v))
		}
		return w.Write(row)
	}
	head := []string{v.m.t("stats.col.period") + " (" + v.PeriodName(st.Period) + ")", v.DimName(st.Dim), v.m.t("stats.name")}
	if err := w.Write(append(head, v.figureHeader()...)); err != nil {
		return nil, err
	}
	for i := range st.Cross {
		r := &st.Cross[i]
		if err := rec(r.Period, r.Key, r.Label, &r.Figures); err != nil {
			return nil, err
		}
	}
	for i := range st.ByPeriod {
		r := &st.ByPeriod[i]
		if err := rec(r.Period, all, all, &r.Figures); err != nil {
			return nil, err
		}
	}
	if err := rec(st.FromDate+" – "+st.ToDate, all, all, &st.Total); err != nil {
		return nil, err
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// Sheets of the XLSX export, named by the catalogue (stats.sheet.*).
const (
	sheetSummary = "summary"
	sheetPeriod  = "period"
	sheetDim     = "dim"
	sheetCross   = "cross"
	sheetPlaces  = "places"
	sheetHours   = "hours"
)

// xlsx is the export as an Excel workbook: the summary (range, zone, how
// far the data reaches back, the totals and the rejection reasons), the
// figures by period, by dimension value, by both, the hot spots and the
// hour-of-week table.
func (v *statsView) xlsx() ([]byte, error) {
	st, m := v.Stats, v.m
	sheet := func(id string) string { return m.t("stats.sheet." + id) }
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	pct, err := f.NewStyle(&excelize.Style{NumFmt: 10})
	if err != nil {
		return nil, err
	}
	sheets := []struct {
		name string
		rows [][]any
	}{
		{sheet(sheetSummary), v.summaryRows()},
		{sheet(sheetPeriod), v.figureRows([]string{m.t("stats.col.period")}, st.ByPeriod, func(r *statsRow) []any { return []any{r.Period} })},
		{sheet(sheetDim), v.figureRows([]string{v.DimName(st.Dim), m.t("stats.name")}, st.ByDim,
			func(r *statsRow) []any { return []any{r.Key, v.RowLabel(r.Label)} })},
		{sheet(sheetCross), v.figureRows([]string{m.t("stats.col.period"), v.DimName(st.Dim), m.t("stats.name")}, st.Cross,
			func(r *statsRow) []any { return []any{r.Period, r.Key, v.RowLabel(r.Label)} })},
		{sheet(sheetPlaces), v.placeRows()},
		{sheet(sheetHours), v.hourRows()},
	}
	for i, sh := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sh.name); err != nil {
				return nil, err
			}
		} else if _, err := f.NewSheet(sh.name); err != nil {
			return nil, err
		}
		for j, row := range sh.rows {
			cell, _ := excelize.CoordinatesToCellName(1, j+1)
			if err := f.SetSheetRow(sh.name, cell, &row); err != nil {
				return nil, err
			}
		}
	}
	for sh, first := range map[string]int{sheet(sheetPeriod): 1, sheet(sheetDim): 2, sheet(sheetCross): 3} {
		for _, c := range shareCols {
			col, _ := excelize.ColumnNumberToName(first + c + 1)
			if err := f.SetColStyle(sh, col, pct); err != nil {
				return nil, err
			}
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// figureRows is a header and a row of figures per row of rs.
func (v *statsView) figureRows(head []string, rs []statsRow, lead func(*statsRow) []any) [][]any {
	out := [][]any{strs(append(head, v.figureHeader()...))}
	for i := range rs {
		out = append(out, append(lead(&rs[i]), figureValues(&rs[i].Figures)...))
	}
	return out
}

// summaryRows are the summary sheet's rows.
func (v *statsView) summaryRows() [][]any {
	st, m := v.Stats, v.m
	out := [][]any{
		{m.t("stats.range"), st.FromDate + " – " + st.ToDate},
		{m.t("stats.zone"), st.Zone.String()},
		{m.t("stats.period"), v.PeriodName(st.Period)},
		{m.t("stats.dim"), v.DimName(st.Dim)},
		{m.t("stats.reach_x"), st.When(st.Reach.Since)},
		{m.t("stats.dropped_n"), st.Reach.Dropped},
		{m.t("stats.made_at"), st.When(st.Now)},
		{},
	}
	h, vals := v.figureHeader(), figureValues(&st.Total)
	for i := range h {
		out = append(out, []any{h[i], vals[i]})
	}
	out = append(out, []any{}, []any{m.t("stats.reason"), m.t("stats.count")})
	for _, r := range st.Reasons {
		out = append(out, []any{v.ReasonName(r.Reason), r.Count})
	}
	return out
}

// placeRows are the hot spots' rows, every place.
func (v *statsView) placeRows() [][]any {
	st, m := v.Stats, v.m
	out := [][]any{{m.t("stats.camera"), m.t("stats.name"), m.t("stats.address"), m.t("stats.grid"), m.t("stats.latitude"),
		m.t("stats.longitude"), m.t("stats.opened"), m.t("stats.confirmed")}}
	coord := func(p *float64) any {
		if p == nil {
			return ""
		}
		return *p
	}
	for _, p := range st.Places {
		out = append(out, []any{p.Camera, p.Name, p.Address, p.Grid, coord(p.Latitude), coord(p.Longitude), p.Opened, p.Confirmed})
	}
	return out
}

// hourRows are the hour-of-week table: a row per weekday, a column per hour.
func (v *statsView) hourRows() [][]any {
	st := v.Stats
	head := []any{v.m.t("stats.weekday_hour")}
	for h := range 24 {
		head = append(head, strconv.Itoa(h))
	}
	out := [][]any{head}
	for d, name := range v.Days() {
		row := []any{name}
		for h := range 24 {
			row = append(row, st.Hours[d][h])
		}
		out = append(out, row)
	}
	return out
}

// strs converts strings to cells.
func strs(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
