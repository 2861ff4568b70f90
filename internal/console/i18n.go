package console

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/patrol-city/patrol/internal/config"
)

// The console's words live in one message catalogue,
// web/i18n/LANG.json (embedded), read with go-i18n
// (github.com/nicksnyder/go-i18n/v2): it is maintained, reads plain JSON
// files with the CLDR plural rules of each language and falls back to
// the default language per message, which golang.org/x/text/message
// would need a code generator (gotext) for. zh-CN is the default, en the
// second language; docs/console.md says how to add a message.

// Languages the console speaks.
const (
	langZH = config.LangZH
	langEN = config.LangEN
	// langCookie holds a user's choice (zh-CN or en) for a year.
	langCookie = "patrol_lang"
)

// languages are the catalogue's languages, the default first.
var languages = []string{langZH, langEN}

// jsPrefixes are the messages the scripts get (body data-msgs).
var jsPrefixes = []string{"js.", "recheck.", "colon"}

// messages is one language of the catalogue with the console's time
// zone: what a page in that language is rendered with.
type messages struct {
	lang string
	loc  *i18n.Localizer
	tz   *time.Location
	js   string // the scripts' messages as a JSON object, unexecuted
}

// loadCatalogue reads every language of web/i18n into messages for tz.
func loadCatalogue(tz *time.Location) (map[string]*messages, error) {
	b := i18n.NewBundle(language.MustParse(langZH))
	out := map[string]*messages{}
	for _, l := range languages {
		path := "web/i18n/" + l + ".json"
		if _, err := b.LoadMessageFileFS(catalogueFS, path); err != nil {
			return nil, fmt.Errorf("console: catalogue %s: %w", l, err)
		}
		raw, err := catalogueRaw(l)
		if err != nil {
			return nil, err
		}
		js := map[string]string{}
		for id, text := range raw {
			for _, p := range jsPrefixes {
				if strings.HasPrefix(id, p) {
					js[id] = text
				}
			}
		}
		j, err := json.Marshal(js)
		if err != nil {
			return nil, fmt.Errorf("console: catalogue %s: %w", l, err)
		}
		out[l] = &messages{lang: l, loc: i18n.NewLocalizer(b, l, langZH), tz: tz, js: string(j)}
	}
	return out, nil
}

// catalogueRaw is a language's messages as written (the "other" form of
// a plural one).
func catalogueRaw(lang string) (map[string]string, error) {
	b, err := fs.ReadFile(catalogueFS, "web/i18n/"+lang+".json")
	if err != nil {
		return nil, fmt.Errorf("console: catalogue %s: %w", lang, err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("console: catalogue %s: %w", lang, err)
	}
	out := make(map[string]string, len(m))
	for id, v := range m {
		var s string
		if json.Unmarshal(v, &s) != nil {
			var p map[string]string
			if err := json.Unmarshal(v, &p); err != nil {
				return nil, fmt.Errorf("console: catalogue %s: %s: %w", lang, id, err)
			}
			s = p["other"]
		}
		out[id] = s
	}
	return out, nil
}

// t is message id with args as name, value pairs ("Count" also picks
// the plural form); a message missing from the catalogue shows its id
// (TestCatalogue fails on any).
func (m *messages) t(id string, args ...any) string {
	c := &i18n.LocalizeConfig{MessageID: id}
	if len(args) > 1 {
		data := make(map[string]any, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			k := fmt.Sprint(args[i])
			data[k] = args[i+1]
			if k == "Count" {
				c.PluralCount = args[i+1]
			}
		}
		c.TemplateData = data
	}
	s, err := m.loc.Localize(c)
	if err != nil {
		return id
	}
	return s
}

// has reports whether the catalogue has message id.
func (m *messages) has(id string) bool {
	_, err := m.loc.Localize(&i18n.LocalizeConfig{MessageID: id})
	return err == nil
}

// enum is a value of a closed set (an event, a verdict, a reason, an
// object class...) in the language: message prefix.value, the value
// itself when the catalogue does not know it.
func (m *messages) enum(prefix, v string) string {
	if v == "" {
		return ""
	}
	if id := prefix + "." + v; m.has(id) {
		return m.t(id)
	}
	return v
}

// recheckReason is a re-check's reason: its head (cases.Recheck*
// reasons) and the known details after the colon translated, an
// unknown detail (a worker's error) as it came.
func (m *messages) recheckReason(r string) string {
	head, detail, ok := strings.Cut(r, ": ")
	out := m.enum("recheck.reason", head)
	if !ok {
		out = m.enum("recheck.detail", head)
		if out == head {
			out = m.enum("recheck.reason", head)
		}
		return out
	}
	return out + m.t("colon") + m.enum("recheck.detail", detail)
}

// when is a time in the console's zone.
func (m *messages) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(m.tz).Format("2006-01-02 15:04:05")
}

// dwell formats seconds for people: "45 秒", "5 分 03 秒", "1 小时 02 分".
func (m *messages) dwell(s float64) string {
	d := time.Duration(math.Round(s)) * time.Second
	switch {
	case d < time.Minute:
		return m.t("dwell.s", "S", int(d.Seconds()))
	case d < time.Hour:
		return m.t("dwell.m", "M", int(d.Minutes()), "S", fmt.Sprintf("%02d", int(d.Seconds())%60))
	}
	return m.t("dwell.h", "H", int(d.Hours()), "M", fmt.Sprintf("%02d", int(d.Minutes())%60))
}

// timeZoneNote says on every page in which zone the times are.
func (m *messages) timeZoneNote() string {
	if m.tz.String() == "Asia/Shanghai" {
		return m.t("footer.time_zone_beijing", "Zone", m.tz.String())
	}
	return m.t("footer.time_zone", "Zone", m.tz.String())
}

// funcs are the template functions bound to the language.
func (m *messages) funcs() template.FuncMap {
	return template.FuncMap{
		"t":      m.t,
		"enum":   m.enum,
		"lang":   func() string { return m.lang },
		"jsMsgs": func() string { return m.js },
		"tzNote": m.timeZoneNote,
		"tzName": m.tz.String,
		"when":   m.when,
		"whenp": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return m.when(*t)
		},
		"dwell":         m.dwell,
		"recheckReason": m.recheckReason,
		"labels": func(ls []string) string {
			out := make([]string, len(ls))
			for i, l := range ls {
				out[i] = m.enum("label", l)
			}
			return strings.Join(out, m.t("list.sep"))
		},
	}
}

// pickLang is the language of a request: the patrol_lang cookie when it
// names a language of the catalogue, else with console.language
// "browser" the first of Accept-Language the catalogue has, else
// console.language (zh-CN when "browser" finds none).
func pickLang(r *http.Request, setting string) string {
	if c, err := r.Cookie(langCookie); err == nil {
		if l, ok := knownLang(c.Value); ok {
			return l
		}
	}
	if setting == config.LangBrowser {
		tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
		if err == nil {
			for _, t := range tags { // ordered by q
				switch base, _ := t.Base(); base.String() {
				case "zh":
					return langZH
				case "en":
					return langEN
				}
			}
		}
		return langZH
	}
	if l, ok := knownLang(setting); ok {
		return l
	}
	return langZH
}

// knownLang validates a language name.
func knownLang(s string) (string, bool) {
	for _, l := range languages {
		if s == l {
			return l, true
		}
	}
	return "", false
}

// langWriter carries the request's language to s.page and s.errorPage
// without changing the handlers' signatures.
type langWriter struct {
	http.ResponseWriter
	lang string
}

// Unwrap lets http.ResponseController reach the writer.
func (w *langWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withLang wraps w with the request's language.
func (s *Server) withLang(w http.ResponseWriter, r *http.Request) http.ResponseWriter {
	return &langWriter{ResponseWriter: w, lang: pickLang(r, s.cfg.Console.Language)}
}

// msgs is the catalogue of the language w carries (console.language
// when it carries none).
func (s *Server) msgs(w http.ResponseWriter) *messages {
	if lw, ok := w.(*langWriter); ok {
		return s.catalogue[lw.lang]
	}
	if l, ok := knownLang(s.cfg.Console.Language); ok {
		return s.catalogue[l]
	}
	return s.catalogue[langZH]
}

// setLang serves GET /lang/{lang}: it keeps the choice in the
// patrol_lang cookie and sends the browser back to the page it came
// from (the same-site Referer, else /). Any visitor may: a language is
// no privilege, and the value is validated.
func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	l, ok := knownLang(r.PathValue("lang"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	c := s.cookie(langCookie, l, 365*24*time.Hour)
	c.SameSite = http.SameSiteLaxMode
	http.SetCookie(w, c)
	http.Redirect(w, r, langBack(r), http.StatusSeeOther)
}

// langBack is where the language switch returns to: the Referer's path
// and query when it is this site's, the login page with its own next.
func langBack(r *http.Request) string {
	u, err := url.Parse(r.Referer())
	if err != nil || u.Host != r.Host {
		return "/"
	}
	if u.Path == "/login" {
		return "/login?next=" + url.QueryEscape(safeNext(u.Query().Get("next")))
	}
	return safeNext(u.RequestURI())
}
