package console

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/patrol-city/patrol/cases"
)

// withPlate sets a case message's plate: text, else reason (text "").
func withPlate(raw []byte, text, reason string) []byte {
	var w wireCase
	_ = json.Unmarshal(raw, &w)
	p := &cases.Plate{Reason: reason, Reads: 5, Agreeing: 2}
	if text != "" {
		p = &cases.Plate{Text: &text, Score: 0.93, Reads: 5, Agreeing: 4, Box: &[4]float64{0.3, 0.6, 0.05, 0.02}}
	}
	w.Plate = p
	out, _ := json.Marshal(w)
	return out
}

// withSecondLookAndRedacted adds a second look to a case message's
// explanation and a redacted copy of its snapshot to its evidence.
func withSecondLookAndRedacted(raw []byte) []byte {
	var w wireCase
	_ = json.Unmarshal(raw, &w)
	w.Explanation.SecondLook = &cases.SecondLook{Label: "car", Score: 0.87}
	x := w.Evidence[len(w.Evidence)-1]
	x.Role, x.Annotated, x.Key = roleRedacted, false, path.Dir(x.Key)+"/snapshot-redacted.jpg"
	w.Evidence = append(w.Evidence, x)
	out, _ := json.Marshal(w)
	return out
}

// plateCases are the cases of the plate tests, confirmed a minute apart:
// p1 and p2 read 苏ED51712 (p1 earlier), p3 another plate, p4 no text
// (occluded), p5 no plate at all (a rule that reads none).
func plateCases(t0 time.Time) [][]byte {
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	return [][]byte{
		withPlate(testCase("p1", "cam-1", "z1", cases.EventOpened, 1, at(1)), "苏ED51712", ""),
		withSecondLookAndRedacted(withPlate(testCase("p2", "cam-2", "z2", cases.EventOpened, 1, at(2)), "苏ED51712", "")),
		withPlate(testCase("p3", "cam-1", "z1", cases.EventOpened, 1, at(3)), "京A12345", ""),
		withPlate(testCase("p4", "cam-1", "z1", cases.EventOpened, 1, at(4)), "", cases.PlateOccluded),
		testCase("p5", "cam-1", "z1", cases.EventOpened, 1, at(5)),
	}
}

// TestPlateParameter: the plate parameter is normalized (spaces out,
// letters upper-cased) and refused unless it is 1 to 8 characters of the
// plate alphabet.
func TestPlateParameter(t *testing.T) {
	for _, c := range [][2]string{{"苏ED51712", "苏ED51712"}, {" 苏ed 51712\t", "苏ED51712"}, {"a1", "A1"}, {"", ""}} {
		if got := normPlate(c[0]); got != c[1] {
			t.Errorf("normPlate(%q) = %q, want %q", c[0], got, c[1])
		}
	}
	for _, ok := range []string{"苏ED51712", "京A12345", "粤B1234港", "ED5", "苏"} {
		if err := checkPlate(normPlate(ok)); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "苏ED517123", "苏ED51712X", "京AO1234", "京AI1234", "<script>", "苏-ED51712",
		"東A12345", "%", "\xff", "x' OR 1=1"} {
		if err := checkPlate(normPlate(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestPlateStore: a plate search finds exactly the cases whose published
// text is the plate, of every review status; a case lists the earlier
// cases of its plate only; redacted copies are listed apart from the
// event pictures.
func TestPlateStore(t *testing.T) {
	s := newStore("cases", "health", "verdicts", "rechecks", slog.New(slog.NewTextHandler(io.Discard, nil)))
	t0 := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	for _, raw := range plateCases(t0) {
		s.apply(&kgo.Record{Topic: "cases", Value: raw})
	}
	s.apply(&kgo.Record{Topic: "verdicts", Value: mustJSON(cases.Verdict{SchemaVersion: 1, CaseID: "p1", CameraID: "cam-1", Seq: 1,
		Verdict: cases.VerdictConfirmed, User: "disp", At: t0.Add(time.Hour)})})
	for q, want := range map[string][]string{
		"plate=苏ED51712":               {"p2", "p1"}, // p1 has a verdict: a plate search covers every status
		"plate=苏ed51712":               {"p2", "p1"},
		"plate=苏ED51712&status=review": {"p2"},
		"plate=京A12345":                {"p3"},
		"plate=苏ED5171":                nil, // exact match only
		"":                             {"p5", "p4", "p3", "p2"},
	} {
		v, _ := url.ParseQuery(q)
		got, _ := s.Queue(filterFrom(v))
		if !slices.Equal(ids(got), want) {
			t.Errorf("%s: %v, want %v", q, ids(got), want)
		}
	}
	if f := filterFrom(url.Values{"plate": {"苏ed51712"}}); f.Query() != "plate="+url.QueryEscape("苏ED51712") {
		t.Errorf("query of a plate search: %q, want the plate alone (status all is its default)", f.Query())
	}

	v, _ := s.view("p2")
	if !slices.Equal(ids(v.Earlier), []string{"p1"}) || v.EarlierTotal != 1 {
		t.Errorf("p2's earlier cases: %v (%d), want p1", ids(v.Earlier), v.EarlierTotal)
	}
	if len(v.Redacted) != 1 || v.Redacted[0].URL != "/evidence/p2/snapshot-redacted.jpg" || v.Redacted[0].Seq != 1 {
		t.Errorf("p2's redacted copies: %+v", v.Redacted)
	}
	for _, p := range []string{v.Snapshot, v.Confirmation, v.FirstSight} {
		if strings.Contains(p, "redacted") {
			t.Errorf("a redacted copy in the slot of an original: %s", p)
		}
	}
	for _, id := range []string{"p1", "p3", "p4", "p5"} {
		if v, _ := s.view(id); len(v.Earlier) != 0 {
			t.Errorf("%s lists earlier cases %v", id, ids(v.Earlier))
		}
	}
}

// TestPlatePages: on the real Kafka, the queue shows the plates (text, or
// "not read" with the reason), the plate search finds the plate's cases
// and no other, a bad plate answers 400 with the reason (page and API),
// the case page shows the plate, its reads, the earlier case with the
// same plate, the second look and the redacted copy; a case whose plate
// has no text shows why.
func TestPlatePages(t *testing.T) {
	t.Parallel()
	r := startConsole(t, testConfig(t, kafkaAddr(t)), Deps{})
	var kv [][]byte
	for _, raw := range plateCases(time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)) {
		kv = append(kv, []byte("cam-1"), raw)
	}
	publish(t, r.cfg, r.cfg.Kafka.CasesTopic, kv...)
	c := r.client().login("disp")
	waitFor(t, 20*time.Second, "the cases", func() bool { return queueTotal(c, "") == 5 })

	page, resp := c.get("/queue")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("queue: %s", resp.Status)
	}
	for _, want := range []string{"<th>车牌</th>", `<span class="plate">苏ED51712</span>`, `<span class="plate">京A12345</span>`,
		">未识别<", ">被遮挡<", `id="plate-search"`} {
		if !strings.Contains(page, want) {
			t.Errorf("queue lacks %q", want)
		}
	}

	page, resp = c.get("/queue?plate=" + url.QueryEscape("苏ed51712"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("plate search: %s", resp.Status)
	}
	for _, id := range []string{"p1", "p2"} {
		if !strings.Contains(page, `data-case="`+id+`"`) {
			t.Errorf("plate search lacks %s", id)
		}
	}
	for _, id := range []string{"p3", "p4", "p5"} {
		if strings.Contains(page, `data-case="`+id+`"`) {
			t.Errorf("plate search lists %s", id)
		}
	}
	// The links keep the search: the case's next case is the plate's.
	q := "plate=" + url.QueryEscape("苏ED51712")
	if !strings.Contains(page, `href="/cases/p2?`+q+`"`) {
		t.Error("the plate search's links to its cases lose the search")
	}
	if page, _ := c.get("/cases/p2?" + q); !strings.Contains(page, `data-next="/cases/p1?`+q+`"`) {
		t.Error("the next case after p2 in the plate search is not p1 with the search")
	}
	if n := queueTotal(c, q); n != 2 {
		t.Errorf("API plate search: %d cases, want 2", n)
	}

	for _, bad := range []string{"苏ED517123", "<script>alert(1)</script>", "京AO1234", "%FF", "x%27+OR+1%3D1"} {
		page, resp := c.get("/queue?plate=" + bad)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="filter-error"`) || strings.Contains(page, `data-case=`) {
			t.Errorf("queue?plate=%s: %s, want 400 with the reason and no case", bad, resp.Status)
		}
		if strings.Contains(page, "<script>alert") {
			t.Errorf("queue?plate=%s echoes the parameter unescaped", bad)
		}
		var out struct {
			Error string `json:"error"`
		}
		if code := c.api(http.MethodGet, "/api/queue?plate="+bad, nil, &out); code != http.StatusBadRequest || !strings.Contains(out.Error, "plate") {
			t.Errorf("api/queue?plate=%s: %d %q, want 400 naming the plate", bad, code, out.Error)
		}
	}
	// A bad plate in a case link is ignored, not an error.
	if _, resp := c.get("/cases/p2?plate=%3Cx%3E"); resp.StatusCode != http.StatusOK {
		t.Errorf("case page with a bad plate in its filter: %s", resp.Status)
	}

	page, _ = c.get("/cases/p2")
	for _, want := range []string{`id="plate-text"`, ">苏ED51712</a>", "识别 5 次 · 一致 4 次 · 得分 0.93",
		`id="earlier"`, `href="/cases/p1"`, "早前案件：1", `<td id="second-look">汽车 0.87</td>`,
		`id="redacted"`, `src="/evidence/p2/snapshot-redacted.jpg"`} {
		if !strings.Contains(page, want) {
			t.Errorf("case p2 lacks %q", want)
		}
	}
	for _, not := range []string{`href="/cases/p3"`, `href="/cases/p4"`} {
		if strings.Contains(page, not) {
			t.Errorf("case p2 links another plate's case: %s", not)
		}
	}
	page, _ = c.get("/cases/p1")
	if !strings.Contains(page, `id="plate-text"`) || strings.Contains(page, `id="earlier"`) {
		t.Errorf("case p1 (the first of its plate): plate shown %v, earlier listed %v",
			strings.Contains(page, `id="plate-text"`), strings.Contains(page, `id="earlier"`))
	}
	page, _ = c.get("/cases/p4")
	for _, want := range []string{`id="plate-none"`, ">未识别<", `<span class="reason" id="plate-reason">被遮挡</span>`,
		"识别 5 次 · 一致 2 次"} {
		if !strings.Contains(page, want) {
			t.Errorf("case p4 (plate not read) lacks %q", want)
		}
	}
	if strings.Contains(page, "得分 score") {
		t.Error("case p4 shows a plate score without text")
	}
	page, _ = c.get("/cases/p5")
	if strings.Contains(page, `id="plate"`) || !strings.Contains(page, `<td id="second-look">—</td>`) {
		t.Error("case p5 (no plate, no second look) shows a plate or a second look")
	}
	var api CaseView
	if code := c.api(http.MethodGet, "/api/cases/p2", nil, &api); code != http.StatusOK || plateText(api.Plate) != "苏ED51712" ||
		!slices.Equal(ids(api.Earlier), []string{"p1"}) {
		t.Errorf("api/cases/p2: %d, plate %q, earlier %v", code, plateText(api.Plate), ids(api.Earlier))
	}
}
