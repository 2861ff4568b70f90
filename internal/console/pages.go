package console

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

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
	//go:embed web/i18n/*.json
	catalogueFS embed.FS
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

// funcs are the template functions that do not depend on the language
// (messages.funcs adds those that do).
var funcs = template.FuncMap{
	"pct":  func(v float64) string { return fmt.Sprintf("%.0f %%", 100*v) },
	"num":  func(v float64) string { return fmt.Sprintf("%.2f", v) },
	"join": strings.Join,
	"box": func(b [4]float64) string {
		return fmt.Sprintf("x %.2f y %.2f w %.2f h %.2f", b[0], b[1], b[2], b[3])
	},
	"add":       func(a, b int) int { return a + b },
	"plateText": plateText,
	"deref": func(p *float64) float64 {
		if p == nil {
			return 0
		}
		return *p
	},
}

// parsePages parses every page with the layout once per language, each
// bound to its language's messages.
func parsePages(cat map[string]*messages) (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	for lang, m := range cat {
		root := template.New("").Funcs(funcs).Funcs(m.funcs())
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
		out[lang] = root
	}
	return out, nil
}

// render executes a page into a buffer first, so that a template error
// answers 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	m := s.msgs(w)
	if err := s.pages[m.lang].ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("console: page", "page", name, "err", err)
		http.Error(w, m.t("error.page"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// page renders a page of the layout for the session's user, in the
// language w carries (withLang); title is a message id with its
// arguments.
func (s *Server) pageT(w http.ResponseWriter, ss *session, status int, name, titleID string, data any, args ...any) {
	s.page(w, ss, status, name, s.msgs(w).t(titleID, args...), data)
}

// page renders a page of the layout for the session's user.
func (s *Server) page(w http.ResponseWriter, ss *session, status int, name, title string, data any) {
	cc := &s.cfg.Console
	m := s.msgs(w)
	var roles []string
	for _, r := range []string{config.RoleDispatcher, config.RoleOperator} {
		if cc.HasRole(ss.user, r) {
			roles = append(roles, m.t("role."+r))
		}
	}
	s.render(w, status, name, pageData{Title: title, Page: name, User: ss.user, Roles: strings.Join(roles, m.t("list.sep")),
		CSRF: ss.csrf, Synced: s.Synced(), CanVerdict: s.allowed(ss.user, dispatcher),
		CanOperate: s.allowed(ss.user, operator), Data: data})
}

// errorPage renders message id (with its arguments) with status.
func (s *Server) errorPage(w http.ResponseWriter, ss *session, status int, id string, args ...any) {
	m := s.msgs(w)
	title := http.StatusText(status)
	if t := fmt.Sprintf("title.error.%d", status); m.has(t) {
		title = m.t(t)
	}
	s.page(w, ss, status, "error", title, m.t(id, args...))
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
