package console

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// loginTTL bounds how long a login form stays usable.
const loginTTL = 15 * time.Minute

// loginData fills the login page.
type loginData struct {
	Style template.CSS
	Token string
	Next  string
	User  string
	Error string
}

// loginCSP allows the login page's one inline style block, by hash: the
// page is served without a session, so it cannot load /static/.
var loginCSP = func() string {
	h := sha256.Sum256([]byte(loginStyle))
	return csp + "; style-src 'self' 'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
}()

// safeNext keeps a post-login destination on this site: a path (with
// its query) that a browser cannot read as another host. Control
// characters and backslashes anywhere refuse it (browsers drop tabs and
// newlines and read "\\" as "/": "/\t/evil.example" would lead away).
func safeNext(next string) string {
	if len(next) > 2048 || strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") || strings.HasPrefix(u.Path, "/login") {
		return "/"
	}
	return u.RequestURI()
}

// loginPage serves GET /login with a fresh form token (also set as the
// patrol_login cookie: the POST must carry both).
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	w = s.withLang(w, r)
	next := safeNext(r.URL.Query().Get("next"))
	if s.sessions.get(r) != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.renderLogin(w, http.StatusOK, loginData{Next: next})
}

func (s *Server) renderLogin(w http.ResponseWriter, status int, d loginData) {
	d.Style = template.CSS(loginStyle)
	d.Token = token()
	http.SetCookie(w, s.cookie(loginCookie, d.Token, loginTTL))
	w.Header().Set("Content-Security-Policy", loginCSP)
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, status, "login", d)
}

// login handles POST /login: the form token must match the cookie; more
// failures than the limits within loginWindow (ratelimit.go, device.go)
// answer 429 (the password is not even checked); a wrong user or password
// answers 401; success starts a session (cookie patrol_session), sets the
// device cookie and redirects to next.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	w = s.withLang(w, r)
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	user, pass := r.PostFormValue("user"), r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	c, err := r.Cookie(loginCookie)
	form := r.PostFormValue(csrfField)
	if err != nil || form == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(form)) != 1 {
		s.renderLogin(w, http.StatusForbidden, loginData{Next: next, User: user, Error: s.msgs(w).t("login.expired")})
		return
	}
	if len(user) > maxUserName {
		s.limiter.fail(limitsFor("", clientIP(r), ""))
		s.renderLogin(w, http.StatusUnauthorized, loginData{Next: next, Error: s.msgs(w).t("login.wrong")})
		return
	}
	keys := limitsFor(user, clientIP(r), s.devices.device(r, user))
	if s.limiter.blocked(keys) {
		s.log.Warn("console: login refused, too many failures", "user", user, "client", clientIP(r))
		w.Header().Set("Retry-After", "60")
		s.renderLogin(w, http.StatusTooManyRequests, loginData{Next: next, User: user, Error: s.msgs(w).t("login.too_many")})
		return
	}
	if err := s.users.reload(); err != nil {
		s.log.Error("console: users file not reloaded, keeping the accounts read before", "err", err)
	}
	if !s.users.check(user, pass) {
		s.limiter.fail(keys)
		s.log.Warn("console: login failed", "user", user, "client", clientIP(r))
		s.renderLogin(w, http.StatusUnauthorized, loginData{Next: next, User: user, Error: s.msgs(w).t("login.wrong")})
		return
	}
	ss, dropped := s.sessions.create(user)
	if err := s.sessions.persist(r.Context(), ss, dropped); err != nil {
		s.sessions.end(ss.id)
		s.log.Error("console: session not recorded in Kafka", "user", user, "err", err)
		s.renderLogin(w, http.StatusServiceUnavailable, loginData{Next: next, User: user, Error: s.msgs(w).t("login.kafka")})
		return
	}
	http.SetCookie(w, s.cookie(sessionCookie, ss.id, s.cfg.Console.SessionTTL))
	http.SetCookie(w, s.cookie(loginCookie, "", -1))
	dc := s.cookie(deviceCookie, s.devices.issue(user), deviceTTL)
	dc.Path = "/login"
	http.SetCookie(w, dc)
	s.log.Info("console: login", "user", user, "client", clientIP(r))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout handles POST /logout.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, ss *session) {
	s.sessions.end(ss.id)
	if err := s.sessions.forget(r.Context(), ss.id); err != nil {
		s.log.Error("console: logout not recorded in Kafka: the session lives on the other consoles until it expires", "user", ss.user, "err", err)
	}
	http.SetCookie(w, s.cookie(sessionCookie, "", -1))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
