package console

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
)

// The pages are server-rendered html/template files with one small
// vanilla script and style sheet, all embedded in the binary
// (docs/console.md says why).
var (
	//go:embed web/templates/*.html
	templateFS embed.FS
	//go:embed web/static
	staticFS embed.FS
	//go:embed web/static/login.css
	loginStyle string
)

// pageNames are the pages; each is web/templates/NAME.html with the
// layout (login has its own).
var pageNames = []string{"queue", "case", "cameras", "camera", "zones", "suppressions", "stats", "error", "map"}

// pageData is what every page gets; Data is the page's own.
type pageData struct {
	Title                  string
	Page                   string
	User, Roles, CSRF      string
	Synced                 bool
	CanVerdict, CanOperate bool
	Data                   any
}

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Local().Format("2006-01-02 15:04:05")
	},
	"whenp": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Local().Format("2006-01-02 15:04:05")
	},
	"dwell": dwell,
	"event": eventName,
	"pct":   func(v float64) string { return fmt.Sprintf("%.0f %%", 100*v) },
	"num":   func(v float64) string { return fmt.Sprintf("%.2f", v) },
	"join":  strings.Join,
	"box": func(b [4]float64) string {
		return fmt.Sprintf("x %.2f y %.2f w %.2f h %.2f", b[0], b[1], b[2], b[3])
	},
	"add":           func(a, b int) int { return a + b },
	"recheckStatus": recheckStatus,
	"plateText":     plateText,
	"plateReason":   plateReason,
	"deref": func(p *float64) float64 {
		if p == nil {
			return 0
		}
		return *p
	},
}

// dwell formats seconds for people: "45 s", "5 min 03 s", "1 h 02 min".
func dwell(s float64) string {
	d := time.Duration(math.Round(s)) * time.Second
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min %02d s", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%d h %02d min", int(d.Hours()), int(d.Minutes())%60)
}

// parsePages parses every page with the layout.
func parsePages() (*template.Template, error) {
	root := template.New("").Funcs(funcs)
	if _, err := root.ParseFS(templateFS, "web/templates/layout.html", "web/templates/login.html"); err != nil {
		return nil, fmt.Errorf("console: templates: %w", err)
	}
	for _, name := range pageNames {
		b, err := templateFS.ReadFile("web/templates/" + name + ".html")
		if err != nil {
			return nil, fmt.Errorf("console: templates: %w", err)
		}
		if _, err := root.New(name).Parse(string(b)); err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
	}
	return root, nil
}

// render executes a page into a buffer first, so that a template error
// answers 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("console: page", "page", name, "err", err)
		http.Error(w, "page error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// page renders a page of the layout for the session's user.
func (s *Server) page(w http.ResponseWriter, ss *session, status int, name, title string, data any) {
	cc := &s.cfg.Console
	var roles []string
	for _, r := range []string{config.RoleDispatcher, config.RoleOperator} {
		if cc.HasRole(ss.user, r) {
			roles = append(roles, r)
		}
	}
	s.render(w, status, name, pageData{Title: title, Page: name, User: ss.user, Roles: strings.Join(roles, ", "),
		CSRF: ss.csrf, Synced: s.Synced(), CanVerdict: s.allowed(ss.user, dispatcher),
		CanOperate: s.allowed(ss.user, operator), Data: data})
}

// errorPage renders a message with status.
func (s *Server) errorPage(w http.ResponseWriter, ss *session, status int, msg string) {
	s.page(w, ss, status, "error", http.StatusText(status), msg)
}

// serveStatic serves the embedded script and style sheet.
func serveStatic(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/") {
		http.NotFound(w, r) // no directory listings
		return
	}
	sub, _ := fs.Sub(staticFS, "web/static")
	w.Header().Set("Cache-Control", "no-cache")
	http.StripPrefix("/static/", http.FileServerFS(sub)).ServeHTTP(w, r)
}

// eventNames are the case events as the console shows them, Chinese first.
var eventNames = map[string]string{
	cases.EventOpened:    "发现 opened",
	cases.EventUpdated:   "仍在 updated",
	cases.EventClosed:    "已离开 closed",
	cases.EventWarning:   "预警 warning",
	cases.EventWithdrawn: "已整改 withdrawn",
}

// eventName is a case event as shown (the event itself when unknown).
func eventName(e string) string {
	if n, ok := eventNames[e]; ok {
		return n
	}
	return e
}
