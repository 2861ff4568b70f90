package console

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/kafka/registry"
	"github.com/patrol-city/patrol/internal/publisher/health"
	"github.com/patrol-city/patrol/internal/testkit/langcheck"
)

// TestCatalogue: zh-CN and en have the same messages, and every message
// the templates and scripts name and every value of the closed sets the
// pages translate (events, verdicts, reasons, rechecks, plate reasons,
// health) is in both.
func TestCatalogue(t *testing.T) {
	t.Parallel()
	zh, err := catalogueRaw(langZH)
	if err != nil {
		t.Fatal(err)
	}
	en, err := catalogueRaw(langEN)
	if err != nil {
		t.Fatal(err)
	}
	for id := range zh {
		if _, ok := en[id]; !ok {
			t.Errorf("%s in zh-CN, not in en", id)
		}
	}
	for id := range en {
		if _, ok := zh[id]; !ok {
			t.Errorf("%s in en, not in zh-CN", id)
		}
	}
	var used []string
	tmpl := regexp.MustCompile(`\{\{-?\s*t "([^"]+)"|\(t "([^"]+)"`)
	js := regexp.MustCompile(`\bt\('([^']+)'`)
	for _, dir := range []string{"web/templates", "web/static"} {
		ents, err := templateFS.ReadDir(dir)
		if err != nil {
			ents, err = staticFS.ReadDir(dir)
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			b, err := templateFS.ReadFile(dir + "/" + e.Name())
			if err != nil {
				b, _ = staticFS.ReadFile(dir + "/" + e.Name())
			}
			for _, m := range tmpl.FindAllStringSubmatch(string(b), -1) {
				used = append(used, m[1], m[2])
			}
			for _, m := range js.FindAllStringSubmatch(string(b), -1) {
				used = append(used, m[1])
			}
		}
	}
	for _, v := range []string{cases.EventOpened, cases.EventUpdated, cases.EventClosed, cases.EventWarning, cases.EventWithdrawn} {
		used = append(used, "event."+v)
	}
	for _, v := range cases.Reasons {
		used = append(used, "reason."+v, "reason_long."+v)
	}
	for _, v := range []string{periodDay, periodWeek, periodMonth} { // the statistics' closed sets
		used = append(used, "stats.period."+v)
	}
	for _, v := range []string{dimCode, dimCamera, dimGrid, dimRule} {
		used = append(used, "stats.dim."+v)
	}
	for _, v := range []string{sheetSummary, sheetPeriod, sheetDim, sheetCross, sheetPlaces, sheetHours, "0", "1", "2", "3", "4", "5", "6"} {
		if len(v) == 1 {
			used = append(used, "stats.day."+v)
		} else {
			used = append(used, "stats.sheet."+v)
		}
	}
	for _, v := range []string{cases.VerdictConfirmed, cases.VerdictRejected} {
		used = append(used, "verdict."+v)
	}
	for _, v := range []string{cases.RecheckPresent, cases.RecheckGone, cases.RecheckUnknown} {
		used = append(used, "recheck."+v)
	}
	for _, v := range []string{cases.PlateTooSmall, cases.PlateOccluded, cases.PlateUnreadable} {
		used = append(used, "plate.reason."+v)
	}
	for _, v := range []string{health.StateConnecting, health.StateStreaming, health.StateStalled, health.StateOffline,
		health.DecoderOK, health.DecoderStuck, health.DecoderDegraded, health.PictureFrozen, health.PictureCovered} {
		used = append(used, "health."+v)
	}
	if len(used) < 150 {
		t.Fatalf("only %d message uses found: the patterns miss the templates", len(used))
	}
	for _, id := range used {
		if id == "" {
			continue
		}
		if _, ok := zh[id]; !ok {
			t.Errorf("%s used, not in the catalogue", id)
		}
	}
}

// TestPickLang: the cookie (validated) first, then Accept-Language when
// console.language is "browser", else console.language.
func TestPickLang(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		setting, cookie, accept, want string
	}{
		{config.LangZH, "", "en-US,en;q=0.9", langZH},
		{config.LangEN, "", "zh-CN", langEN},
		{config.LangZH, "en", "", langEN},
		{config.LangEN, "zh-CN", "", langZH},
		{config.LangZH, "fr", "", langZH},
		{config.LangEN, "<script>", "", langEN},
		{config.LangBrowser, "", "en-GB,en;q=0.9,zh;q=0.5", langEN},
		{config.LangBrowser, "", "fr-FR,zh-TW;q=0.8,en;q=0.5", langZH},
		{config.LangBrowser, "", "fr", langZH},
		{config.LangBrowser, "zh-CN", "en", langZH},
	} {
		r := httptest.NewRequest(http.MethodGet, "/queue", nil)
		if tc.cookie != "" {
			r.AddCookie(&http.Cookie{Name: langCookie, Value: tc.cookie})
		}
		if tc.accept != "" {
			r.Header.Set("Accept-Language", tc.accept)
		}
		if got := pickLang(r, tc.setting); got != tc.want {
			t.Errorf("%+v: %s", tc, got)
		}
	}
}

// TestPagesInLanguage: on the real Kafka, every page of the console
// (queue, case, cameras, camera, zones, suppressions, an error and the
// login page) has no English word in zh-CN (langcheck, the data of the
// rig aside), shows its times in Asia/Shanghai, and after the language
// switch the same pages are in English with no Chinese word but data.
func TestPagesInLanguage(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, kafkaAddr(t))
	cfg.Console.Map.Attribution = "© OpenStreetMap contributors" // configured data, not language
	r := startConsole(t, cfg, Deps{})
	cam := config.Camera{ID: "cam-1", Name: "东门", URL: "rtsp://viewer:pw@192.0.2.7:554/main", Address: "人民路 1 号",
		Zones: []config.Zone{{ID: "kerb", Polygon: [][]float64{{0.1, 0.5}, {0.9, 0.5}, {0.9, 0.9}}, Rules: []string{"illegal-parking"}}}}
	config.ApplyCameraDefaults(&cam)
	raw, err := registry.Encode(cam)
	if err != nil {
		t.Fatal(err)
	}
	publish(t, cfg, cfg.Cluster.RegistryTopic, []byte(cam.ID), raw)
	at := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	publish(t, cfg, cfg.Kafka.CasesTopic, []byte("cam-1"), testCase("c1", "cam-1", "kerb", cases.EventOpened, 1, at),
		[]byte("cam-1"), withPlate(testCase("c2", "cam-1", "kerb", cases.EventOpened, 1, at.Add(time.Minute)), "", cases.PlateOccluded))
	publish(t, cfg, cfg.Kafka.HealthTopic, []byte("cam-1"),
		mustJSON(health.NewEvent("w1", "cam-1", "", health.KindState, health.StateStreaming, "", "", at)))
	admin := r.client().login("admin")
	waitFor(t, 20*time.Second, "the cases and the camera", func() bool {
		_, resp := admin.get("/cameras/cam-1/zones")
		return queueTotal(admin, "") == 2 && resp.StatusCode == http.StatusOK
	})
	if code := admin.api(http.MethodPost, "/api/cases/c1/verdict", verdictRequest{Verdict: cases.VerdictRejected, Reason: cases.ReasonPermitted, Seq: 1, Suppress: true}, nil); code != http.StatusOK {
		t.Fatalf("verdict: %d", code)
	}
	waitFor(t, 20*time.Second, "the verdict", func() bool { return queueTotal(admin, "status=reviewed") == 1 })

	// data: what the rig itself names (ids, user, address, the zone),
	// the example plate in the search field and the id asked for.
	data := []string{"苏ED51712", "nope", "cam-1", "kerb", "c1", "c2", "w1", "admin", "0505", "人民路 1 号", "东门", "机动车乱停放", "G-12",
		"rtsp://viewer:xxxxx@192.0.2.7:554/main", "Asia/Shanghai", "illegal-parking", cfg.Console.Map.Attribution, "fortnight"}
	pages := []string{"/queue", "/queue?status=all", "/cases/c1?status=all", "/cases/c2", "/cameras", "/cameras/cam-1",
		"/cameras/cam-1/zones", "/suppressions", "/cases/nope", "/map", "/stats", "/stats?period=week&dim=grid",
		"/stats?period=month&dim=camera", "/stats?period=fortnight"}
	check := func(c *client, lang string) {
		t.Helper()
		for _, p := range pages {
			page, resp := c.get(p)
			want := http.StatusOK
			switch p {
			case "/cases/nope":
				want = http.StatusNotFound
			case "/stats?period=fortnight":
				want = http.StatusBadRequest
			}
			if resp.StatusCode != want {
				t.Errorf("%s %s: %s", lang, p, resp.Status)
			}
			if !strings.Contains(page, `<html lang="`+lang+`">`) {
				t.Errorf("%s: page not in %s", p, lang)
			}
			if words, err := langcheck.Foreign(page, data...); err != nil || len(words) > 0 {
				t.Errorf("%s %s: words of another language %q (%v)", lang, p, words, err)
			}
		}
	}
	check(admin, langZH)
	page, _ := admin.get("/cases/c1?status=all")
	for _, want := range []string{"不予立案：许可作业", "时间为北京时间（Asia/Shanghai）", "2026-12-02 16:00:00", "停留 <strong>30 秒</strong>"} {
		if !strings.Contains(page, want) {
			t.Errorf("zh-CN case page lacks %q", want)
		}
	}
	login := r.client()
	lp, _ := login.get("/login")
	if words, err := langcheck.Foreign(lp, data...); err != nil || len(words) > 0 || !strings.Contains(lp, `lang="zh-CN"`) {
		t.Errorf("login page in zh-CN: %q (%v)", words, err)
	}

	// The switch: a cookie for the language, back to the page it came from.
	req, _ := http.NewRequest(http.MethodGet, admin.base+"/lang/en", nil)
	req.Header.Set("Referer", admin.base+"/cases/c1?status=all")
	resp, err := admin.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/cases/c1?status=all" {
		t.Errorf("switch: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	check(admin, langEN)
	page, _ = admin.get("/cases/c1?status=all")
	for _, want := range []string{"rejected: permitted", "Times in Beijing time (Asia/Shanghai)", "30 s"} {
		if !strings.Contains(page, want) {
			t.Errorf("en case page lacks %q", want)
		}
	}
	for _, bad := range []string{"/lang/fr", "/lang/..%2Fx"} {
		if _, resp := admin.get(bad); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s, want 404", bad, resp.Status)
		}
	}
}

// TestWords: the words computed from values (re-check reasons with
// their details, dwell, enums) in both languages; an unknown value or
// detail is shown as it came.
func TestWords(t *testing.T) {
	t.Parallel()
	cat, err := loadCatalogue(time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	zh, en := cat[langZH], cat[langEN]
	for _, tc := range []struct {
		got, want string
	}{
		{zh.recheckReason(cases.RecheckBlocked + ": picture covered"), "视野受阻：画面遮挡"},
		{en.recheckReason(cases.RecheckBlocked + ": picture covered"), "view blocked: picture covered"},
		{zh.recheckReason(cases.RecheckLookFailed + ": onnx: bad input"), "识别失败：onnx: bad input"},
		{zh.recheckReason(cases.RecheckOffline), "摄像头离线"},
		{zh.recheckReason("case closed"), "案件已结束"},
		{zh.recheckReason(""), ""},
		{zh.dwell(45), "45 秒"},
		{zh.dwell(303), "5 分 03 秒"},
		{en.dwell(3720), "1 h 02 min"},
		{zh.enum("verdict", cases.VerdictRejected), "不予立案"},
		{zh.enum("reason", cases.ReasonDuplicate), "重复上报"},
		{zh.enum("event", cases.EventClosed), "已离开"},
		{zh.enum("label", "zebra"), "zebra"},
		{zh.t("queue.count", "Count", 1), "1 件"},
		{en.t("queue.count", "Count", 1), "1 case"},
		{en.t("queue.count", "Count", 3), "3 cases"},
		{zh.when(time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)), "2026-12-02 08:00:00"},
	} {
		if tc.got != tc.want {
			t.Errorf("%q, want %q", tc.got, tc.want)
		}
	}
}
