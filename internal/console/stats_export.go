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

// allLabel names the totals' rows.
const allLabel = "合计 all"

// figureHeader names the figure columns of the exports, Chinese first.
func figureHeader() []string {
	h := []string{"上报案件量 opened", "核实通过 confirmed", "不予立案 rejected", "待核实 waiting",
		"上报案件处置数量 handled", "案件上报处置率 share handled", "核实通过率 share confirmed",
		"核实用时 p50 (s) time to verdict", "核实用时 p95 (s) time to verdict",
		"预警 warnings", "已整改撤销 withdrawn", "重新裁定 verdict given again",
		"核查 rechecks", "核查已消失 rechecks gone"}
	for _, r := range cases.Reasons {
		h = append(h, "不予立案原因 "+reasonNames[r])
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
func (st *Stats) csv() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("\ufeff")
	w := csv.NewWriter(&b)
	rec := func(period, key, label string, f *Figures) error {
		row := []string{period, key, label}
		for _, v := range figureValues(f) {
			row = append(row, fmt.Sprint(v))
		}
		return w.Write(row)
	}
	if err := w.Write(append([]string{"时段 period (" + st.PeriodName(st.Period) + ")", dimNames[st.Dim], "名称 name"}, figureHeader()...)); err != nil {
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
		if err := rec(r.Period, allLabel, allLabel, &r.Figures); err != nil {
			return nil, err
		}
	}
	if err := rec(st.FromDate+" – "+st.ToDate, allLabel, allLabel, &st.Total); err != nil {
		return nil, err
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// Sheet names of the XLSX export.
const (
	sheetSummary = "汇总 summary"
	sheetPeriod  = "按时段 by period"
	sheetDim     = "按维度 by dimension"
	sheetCross   = "明细 period x dimension"
	sheetPlaces  = "热点 hot spots"
	sheetHours   = "时段热力 hour of week"
)

// xlsx is the export as an Excel workbook: the summary (range, zone, how
// far the data reaches back, the totals and the rejection reasons), the
// figures by period, by dimension value, by both, the hot spots and the
// hour-of-week table.
func (st *Stats) xlsx() ([]byte, error) {
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
		{sheetSummary, st.summaryRows()},
		{sheetPeriod, figureRows([]string{"时段 period"}, st.ByPeriod, func(r *statsRow) []any { return []any{r.Period} })},
		{sheetDim, figureRows([]string{dimNames[st.Dim], "名称 name"}, st.ByDim, func(r *statsRow) []any { return []any{r.Key, r.Label} })},
		{sheetCross, figureRows([]string{"时段 period", dimNames[st.Dim], "名称 name"}, st.Cross, func(r *statsRow) []any { return []any{r.Period, r.Key, r.Label} })},
		{sheetPlaces, st.placeRows()},
		{sheetHours, st.hourRows()},
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
	for sh, first := range map[string]int{sheetPeriod: 1, sheetDim: 2, sheetCross: 3} {
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
func figureRows(head []string, rs []statsRow, lead func(*statsRow) []any) [][]any {
	out := [][]any{strs(append(head, figureHeader()...))}
	for i := range rs {
		out = append(out, append(lead(&rs[i]), figureValues(&rs[i].Figures)...))
	}
	return out
}

// summaryRows are the summary sheet's rows.
func (st *Stats) summaryRows() [][]any {
	out := [][]any{
		{"统计范围 range", st.FromDate + " – " + st.ToDate},
		{"时区 time zone", st.Zone.String()},
		{"统计周期 period", st.PeriodName(st.Period)},
		{"维度 dimension", st.DimName(st.Dim)},
		{"数据起点 data reaches back to", st.When(st.Reach.Since)},
		{"内存上限丢弃的案件 cases dropped by the memory bound", st.Reach.Dropped},
		{"生成时间 made at", st.When(st.Now)},
		{},
	}
	h, v := figureHeader(), figureValues(&st.Total)
	for i := range h {
		out = append(out, []any{h[i], v[i]})
	}
	out = append(out, []any{}, []any{"不予立案原因 reason", "件数 cases"})
	for _, r := range st.Reasons {
		out = append(out, []any{st.ReasonName(r.Reason), r.Count})
	}
	return out
}

// placeRows are the hot spots' rows, every place.
func (st *Stats) placeRows() [][]any {
	out := [][]any{{"摄像头 camera", "名称 name", "地址 address", "单元网格 grid", "纬度 latitude", "经度 longitude",
		"上报案件量 opened", "核实通过 confirmed"}}
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
func (st *Stats) hourRows() [][]any {
	head := []any{"星期 weekday \\ 时 hour"}
	for h := range 24 {
		head = append(head, strconv.Itoa(h))
	}
	out := [][]any{head}
	for d, name := range st.Days() {
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
