package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/patrol-city/patrol/internal/config"
)

// access is who may use a route.
type access int

const (
	// anyUser is every logged-in user.
	anyUser access = iota
	// viewer is a dispatcher or an operator (admin is both).
	viewer
	// dispatcher gives verdicts and removes suppressions.
	dispatcher
	// operator edits zones.
	operator
)

// handler is a route that needs a session.
type handler func(http.ResponseWriter, *http.Request, *session)

// routes is the console's mux. Only /login, /lang/{lang}, /healthz and the login
// page's inline style need no session; every other route is wrapped by
// s.auth.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("GET /lang/{lang}", s.setLang)
	mux.Handle("POST /logout", s.auth(anyUser, s.logout))
	mux.Handle("GET /static/", s.auth(anyUser, func(w http.ResponseWriter, r *http.Request, _ *session) { serveStatic(w, r) }))
	mux.Handle("GET /{$}", s.auth(anyUser, s.home))
	mux.Handle("GET /queue", s.auth(viewer, s.queuePage))
	mux.Handle("GET /cases/{id}", s.auth(viewer, s.casePage))
	mux.Handle("GET /evidence/{case}/{name}", s.auth(viewer, func(w http.ResponseWriter, r *http.Request, _ *session) { s.serveEvidence(w, r) }))
	mux.Handle("GET /cameras", s.auth(viewer, s.camerasPage))
	mux.Handle("GET /cameras/{id}", s.auth(viewer, s.cameraPage))
	mux.Handle("GET /cameras/{id}/picture.jpg", s.auth(viewer, func(w http.ResponseWriter, r *http.Request, _ *session) { s.servePicture(w, r) }))
	mux.Handle("GET /cameras/{id}/zones", s.auth(operator, s.zonesPage))
	mux.Handle("GET /suppressions", s.auth(viewer, s.suppressionsPage))
	mux.Handle("GET /map", s.auth(viewer, s.mapPage))
	mux.Handle("GET /stats", s.auth(viewer, s.statsPage))
	mux.Handle("GET /stats.csv", s.auth(viewer, s.statsCSV))
	mux.Handle("GET /stats.xlsx", s.auth(viewer, s.statsXLSX))

	mux.Handle("GET /api/queue", s.auth(viewer, s.apiQueue))
	mux.Handle("GET /api/cases/{id}", s.auth(viewer, s.apiCase))
	mux.Handle("POST /api/cases/{id}/verdict", s.auth(dispatcher, s.postVerdict))
	mux.Handle("POST /api/cases/{id}/recheck", s.auth(dispatcher, s.postRecheck))
	mux.Handle("GET /api/cases/{id}/rechecks", s.auth(viewer, s.getRechecks))
	mux.Handle("GET /api/cameras/{id}/zones", s.auth(viewer, s.getZones))
	mux.Handle("POST /api/cameras/{id}/zones", s.auth(operator, s.postZones))
	mux.Handle("GET /api/suppressions", s.auth(viewer, func(w http.ResponseWriter, _ *http.Request, _ *session) {
		writeJSON(w, http.StatusOK, s.Suppressions())
	}))
	mux.Handle("DELETE /api/suppressions/{id}", s.auth(dispatcher, s.deleteSuppression))
	mux.Handle("GET /api/map", s.auth(viewer, s.apiMap))
	return securityHeaders(mux, s.tls != nil || s.cfg.Console.BehindTLSProxy)
}

// csp is the pages' Content-Security-Policy: everything from the console
// itself, no inline script, no framing.
const csp = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

// securityHeaders sets the headers every response carries; with https
// (served, or behind a TLS proxy) HSTS too.
func securityHeaders(next http.Handler, https bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if https || r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// auth runs h with the request's session when it has one, the access
// needed and, for every method but GET and HEAD, the session's CSRF
// token. Without a session, /api/ answers 401 and pages redirect to
// /login; without the access, 403.
func (s *Server) auth(need access, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w = s.withLang(w, r)
		api := strings.HasPrefix(r.URL.Path, "/api/")
		ss := s.sessions.get(r)
		if ss != nil && !s.userExists(ss.user) {
			s.sessions.endUser(ss.user) // removed from users_file: out at once
			if err := s.sessions.forgetUser(r.Context(), ss.user); err != nil {
				s.log.Error("console: removed user's sessions not dropped in Kafka", "user", ss.user, "err", err)
			}
			ss = nil
		}
		if ss == nil {
			if api || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
				apiError(w, http.StatusUnauthorized, "log in first")
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if !s.allowed(ss.user, need) {
			if api {
				apiError(w, http.StatusForbidden, "your roles do not allow this")
			} else {
				s.errorPage(w, ss, http.StatusForbidden, "error.forbidden_page")
			}
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
			if !ss.csrfOK(r) {
				apiError(w, http.StatusForbidden, "missing or wrong CSRF token")
				return
			}
		}
		h(w, r, ss)
	})
}

// maxBody bounds a request body the console reads (a zone, a verdict, a
// form: a few KiB).
const maxBody = 1 << 20

// userExists reports whether user is (still) in console.users_file,
// reading it again when it changed; a file that no longer parses keeps
// the accounts read before.
func (s *Server) userExists(user string) bool {
	if err := s.users.reload(); err != nil {
		s.log.Error("console: users file not reloaded, keeping the accounts read before", "err", err)
	}
	return s.users.has(user)
}

// allowed reports whether user has the access.
func (s *Server) allowed(user string, need access) bool {
	cc := &s.cfg.Console
	switch need {
	case viewer:
		return cc.HasRole(user, config.RoleDispatcher) || cc.HasRole(user, config.RoleOperator)
	case dispatcher:
		return cc.HasRole(user, config.RoleDispatcher)
	case operator:
		return cc.HasRole(user, config.RoleOperator)
	}
	return true
}

// healthz answers 200 {"status":"ok"} once the console has read Kafka to
// its end, 503 {"status":"syncing"} before.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	if !s.Synced() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "syncing"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
}

// home sends a user to the page of their roles.
func (s *Server) home(w http.ResponseWriter, r *http.Request, ss *session) {
	switch {
	case s.allowed(ss.user, dispatcher):
		http.Redirect(w, r, "/queue", http.StatusSeeOther)
	case s.allowed(ss.user, operator):
		http.Redirect(w, r, "/cameras", http.StatusSeeOther)
	default:
		s.errorPage(w, ss, http.StatusForbidden, "error.no_role")
	}
}
