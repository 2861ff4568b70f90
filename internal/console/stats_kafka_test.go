package console

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/patrol-city/patrol/cases"
)

// TestStatsAfterTwoVerdicts is issue 23's acceptance on the real Kafka:
// two cases opened 10 minutes ago, one confirmed now and one rejected
// (duplicate) 5 minutes later; the statistics page, the XLSX and the CSV
// show 2 opened, 1 confirmed, 1 rejected with its reason, and the time to
// verdict (p50 10 min, p95 15 min); a second console started afterwards on
// the same topics shows the same.
func TestStatsAfterTwoVerdicts(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, kafkaAddr(t))
	r := startConsole(t, cfg, Deps{})
	opened := r.clock.Now().Add(-10 * time.Minute).UTC()
	publish(t, cfg, cfg.Kafka.CasesTopic,
		[]byte("cam-1"), testCase("s1", "cam-1", "z1", cases.EventOpened, 1, opened),
		[]byte("cam-2"), testCase("s2", "cam-2", "z1", cases.EventOpened, 1, opened))
	disp := r.client().login("disp")
	waitFor(t, 20*time.Second, "two cases in the queue", func() bool { return queueTotal(disp, "") == 2 })
	if got := disp.api(http.MethodPost, "/api/cases/s1/verdict", map[string]any{"verdict": "confirmed"}, nil); got != http.StatusOK {
		t.Fatalf("confirm: %d", got)
	}
	r.clock.Add(5 * time.Minute)
	if got := disp.api(http.MethodPost, "/api/cases/s2/verdict", map[string]any{"verdict": "rejected", "reason": "duplicate"}, nil); got != http.StatusOK {
		t.Fatalf("reject: %d", got)
	}
	readTopic(t, cfg, cfg.Console.VerdictsTopic, 2)
	checkStats(t, disp, "first console", langZH)

	again := startConsole(t, cfg, Deps{})
	d2 := again.client().login("disp")
	waitFor(t, 20*time.Second, "both verdicts read back", func() bool { return queueTotal(d2, "status=reviewed") == 2 })
	checkStats(t, d2, "console started afterwards", langZH)
	if _, resp := d2.get("/lang/en"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch to English: %s", resp.Status)
	}
	checkStats(t, d2, "console started afterwards, in English", langEN)
}

// statsWords are the words checkStats reads, per language: the page's
// times to verdict (the catalogue's dwell), the reason's row, the reach
// line, the XLSX's summary rows and sheet, the CSV's totals label.
var statsWords = map[string]struct {
	p50, p95, reasonRow, reach, summary, all string
	xlsx                                     map[string]string
}{
	langZH: {"10 分 00 秒", "15 分 00 秒", `<th>重复上报</th><td>1</td>`, `数据起点：`, "汇总", "合计",
		map[string]string{"上报案件量": "2", "核实通过": "1", "不予立案": "1", "待核实": "0", "核实用时中位数（秒）": "600",
			"核实用时 95% 分位（秒）": "900", "不予立案原因：重复上报": "1", "重复上报": "1", "案件上报处置率": "1", "数据起点": ""}},
	langEN: {"10 min 00 s", "15 min 00 s", `<th>duplicate</th><td>1</td>`, `Data reaches back to:`, "Summary", "All",
		map[string]string{"Cases opened": "2", "Confirmed": "1", "Rejected": "1", "To review": "0", "Time to verdict, median (s)": "600",
			"Time to verdict, 95th percentile (s)": "900", "Rejected as: duplicate": "1", "duplicate": "1", "Share handled": "1", "Data reaches back to": ""}},
}

// statsCell finds a figure of the page by its element id.
func statsCell(page, id string) string {
	m := regexp.MustCompile(`id="` + id + `">([^<]*)<`).FindStringSubmatch(page)
	if m == nil {
		return "(missing)"
	}
	return m[1]
}

// checkStats checks the page, the XLSX and the CSV of the two verdicts.
func checkStats(t *testing.T, c *client, who, lang string) {
	t.Helper()
	w := statsWords[lang]
	page, resp := c.get("/stats")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: /stats %s", who, resp.Status)
	}
	for id, want := range map[string]string{"t-opened": "2", "t-confirmed": "1", "t-rejected": "1", "t-waiting": "0",
		"t-handled": "2", "t-share-handled": "100 %", "t-share-confirmed": "50 %", "t-p50": w.p50, "t-p95": w.p95} {
		if got := statsCell(page, id); got != want {
			t.Errorf("%s: page %s = %q, want %q", who, id, got, want)
		}
	}
	if !strings.Contains(page, `data-reason="duplicate">`+w.reasonRow) {
		t.Errorf("%s: the page does not show the rejection's reason", who)
	}
	if !strings.Contains(page, w.reach) || !regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d</span>`).MatchString(page) {
		t.Errorf("%s: the page does not say how far back its data reaches", who)
	}

	body, resp := c.get("/stats.xlsx")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), ".xlsx") {
		t.Fatalf("%s: /stats.xlsx %s %v", who, resp.Status, resp.Header)
	}
	f, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: the XLSX does not open: %v", who, err)
	}
	defer func() { _ = f.Close() }()
	rows, err := f.GetRows(w.summary)
	if err != nil {
		t.Fatal(err)
	}
	summary := map[string]string{}
	for _, row := range rows {
		if len(row) >= 2 {
			summary[row[0]] = row[1]
		}
	}
	for k, want := range w.xlsx {
		if want == "" { // the reach: a time
			if !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d$`).MatchString(summary[k]) {
				t.Errorf("%s: the XLSX does not say how far back its data reaches: %s = %q", who, k, summary[k])
			}
			continue
		}
		if summary[k] != want {
			t.Errorf("%s: XLSX %s = %q, want %q", who, k, summary[k], want)
		}
	}
	byCode, err := f.GetRows(f.GetSheetName(2)) // by dimension
	if err != nil || len(byCode) != 2 || len(byCode[1]) < 9 || byCode[1][0] != "0505" || byCode[1][2] != "2" || byCode[1][7] != "100.00%" || byCode[1][8] != "50.00%" {
		t.Errorf("%s: XLSX sheet %s %q (%v), want one row of code 0505: 2 opened, 100.00%% handled, 50.00%% confirmed", who, f.GetSheetName(2), byCode, err)
	}

	body, _ = c.get("/stats.csv?dim=camera")
	if !strings.HasPrefix(body, "\ufeff") {
		t.Errorf("%s: the CSV has no UTF-8 byte order mark", who)
	}
	recs, err := csv.NewReader(bytes.NewReader([]byte(strings.TrimPrefix(body, "\ufeff")))).ReadAll()
	if err != nil || len(recs) < 4 {
		t.Fatalf("%s: CSV %v: %q", who, err, body)
	}
	total := recs[len(recs)-1]
	if total[1] != w.all || total[3] != "2" || total[4] != "1" || total[5] != "1" || total[10] != "600" || total[11] != "900" {
		t.Errorf("%s: CSV totals %q", who, total)
	}
	for _, rec := range recs[1 : len(recs)-1] {
		if rec[1] == "cam-2" && (rec[3] != "1" || rec[5] != "1") {
			t.Errorf("%s: CSV row of cam-2 %q, want 1 opened, 1 rejected", who, rec)
		}
	}
}
