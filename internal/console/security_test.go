package console

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestAccess: without a session only /login and /healthz answer; pages
// redirect to /login, /api/ answers 401; every answer has the security
// headers; roles decide the rest (a dispatcher's zone save and an
// operator's verdict are 403, admin may do both); CSRF tokens are
// required on POST and DELETE; logout and expiry end a session.
func TestAccess(t *testing.T) {
	t.Parallel()
	r := startConsole(t, testConfig(t, kafkaAddr(t)), Deps{})
	anon := r.client()
	for _, p := range []string{"/", "/queue", "/cases/x", "/cameras", "/cameras/cam-1", "/cameras/cam-1/zones",
		"/cameras/cam-1/picture.jpg", "/evidence/x/clip.mp4", "/suppressions", "/stats", "/stats.xlsx", "/static/console.js", "/static/console.css"} {
		_, resp := anon.get(p)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
			t.Errorf("GET %s without a session: %s %s, want a redirect to /login", p, resp.Status, resp.Header.Get("Location"))
		}
		checkHeaders(t, p, resp)
	}
	for _, p := range []string{"/api/queue", "/api/cases/x", "/api/cameras/cam-1/zones", "/api/suppressions"} {
		if _, resp := anon.get(p); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without a session: %s, want 401", p, resp.Status)
		}
	}
	for _, m := range [][2]string{{http.MethodPost, "/api/cases/x/verdict"}, {http.MethodPost, "/api/cases/x/recheck"}, {http.MethodPost, "/api/cameras/cam-1/zones"},
		{http.MethodDelete, "/api/suppressions/x"}, {http.MethodPost, "/logout"}} {
		if resp := anon.do(m[0], m[1], "application/json", "{}", false); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s %s without a session: %s, want 401", m[0], m[1], resp.Status)
		}
	}
	for _, p := range []string{"/login", "/healthz"} {
		_, resp := anon.get(p)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s", p, resp.Status)
		}
		checkHeaders(t, p, resp)
	}

	// Wrong passwords and unknown users: 401.
	if resp := r.client().tryLogin("disp", "pw-oper"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %s, want 401", resp.Status)
	}
	if resp := r.client().tryLogin("ghost", "pw-ghost"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unknown user: %s, want 401", resp.Status)
	}

	// The session cookie.
	disp := r.client()
	resp := disp.tryLogin("disp", "pw-disp")
	var sc *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			sc = c
		}
	}
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Secure || sc.Path != "/" {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/, not Secure over HTTP", sc)
	}
	disp.fetchToken()
	oper := r.client().login("oper")
	admin := r.client().login("admin")
	nobody := r.client().login("nobody")

	// Roles.
	zones := map[string]any{"version": 0, "zones": []any{}}
	verdict := map[string]any{"verdict": "confirmed"}
	for _, tc := range []struct {
		who    *client
		name   string
		method string
		path   string
		body   any
		want   int
	}{
		{disp, "dispatcher saves zones", http.MethodPost, "/api/cameras/cam-1/zones", zones, http.StatusForbidden},
		{disp, "dispatcher opens the zone editor", http.MethodGet, "/cameras/cam-1/zones", nil, http.StatusForbidden},
		{oper, "operator gives a verdict", http.MethodPost, "/api/cases/x/verdict", verdict, http.StatusForbidden},
		{oper, "operator removes a suppression", http.MethodDelete, "/api/suppressions/x", nil, http.StatusForbidden},
		{oper, "operator asks for a recheck", http.MethodPost, "/api/cases/x/recheck", map[string]any{}, http.StatusForbidden},
		{disp, "dispatcher asks for a recheck", http.MethodPost, "/api/cases/x/recheck", map[string]any{}, http.StatusNotFound},
		{oper, "operator reads the rechecks", http.MethodGet, "/api/cases/x/rechecks", nil, http.StatusOK},
		{nobody, "user without roles reads the queue", http.MethodGet, "/api/queue", nil, http.StatusForbidden},
		{admin, "admin gives a verdict", http.MethodPost, "/api/cases/x/verdict", verdict, http.StatusNotFound},
		{admin, "admin saves zones", http.MethodPost, "/api/cameras/cam-1/zones", zones, http.StatusNotFound},
		{disp, "dispatcher gives a verdict", http.MethodPost, "/api/cases/x/verdict", verdict, http.StatusNotFound},
		{oper, "operator saves zones", http.MethodPost, "/api/cameras/cam-1/zones", zones, http.StatusNotFound},
		{oper, "operator reads the queue", http.MethodGet, "/api/queue", nil, http.StatusOK},
	} {
		if got := tc.who.api(tc.method, tc.path, tc.body, nil); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	if body, resp := nobody.get("/queue"); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "角色") {
		t.Errorf("queue page of a user without roles: %s", resp.Status)
	}

	// CSRF: missing or wrong tokens are refused before the handler runs.
	if resp := disp.do(http.MethodPost, "/api/cases/x/verdict", "application/json", `{"verdict":"confirmed"}`, false); resp.StatusCode != http.StatusForbidden {
		t.Errorf("verdict without CSRF token: %s, want 403", resp.Status)
	}
	if resp := disp.do(http.MethodPost, "/api/cases/x/recheck", "application/json", `{}`, false); resp.StatusCode != http.StatusForbidden {
		t.Errorf("recheck without CSRF token: %s, want 403", resp.Status)
	}
	other := disp.csrf
	disp.csrf = admin.csrf
	if got := disp.api(http.MethodPost, "/api/cases/x/verdict", verdict, nil); got != http.StatusForbidden {
		t.Errorf("verdict with another session's CSRF token: %d, want 403", got)
	}
	disp.csrf = other
	if resp := oper.do(http.MethodPost, "/logout", "application/x-www-form-urlencoded", "csrf=nope", false); resp.StatusCode != http.StatusForbidden {
		t.Errorf("logout with a wrong form token: %s, want 403", resp.Status)
	}
	if resp := oper.do(http.MethodPost, "/logout", "application/x-www-form-urlencoded", "csrf="+oper.csrf, false); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("logout: %s", resp.Status)
	}
	if _, resp := oper.get("/api/queue"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after logout: %s, want 401", resp.Status)
	}
	// The login form's own token (double submit with its cookie).
	fresh := r.client()
	fresh.get("/login")
	if resp := fresh.do(http.MethodPost, "/login", "application/x-www-form-urlencoded", "user=disp&password=pw-disp&csrf=forged", false); resp.StatusCode != http.StatusForbidden {
		t.Errorf("login with a forged form token: %s, want 403", resp.Status)
	}

	// Expiry: session_ttl (12h) after login.
	r.clock.Add(r.cfg.Console.SessionTTL + time.Second)
	if _, resp := disp.get("/api/queue"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("expired session: %s, want 401", resp.Status)
	}
}

// checkHeaders wants the security headers on resp.
func checkHeaders(t *testing.T, path string, resp *http.Response) {
	t.Helper()
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.HasPrefix(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("%s: CSP %q", path, csp)
	}
	if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: X-Frame-Options %q, X-Content-Type-Options %q", path, resp.Header.Get("X-Frame-Options"), resp.Header.Get("X-Content-Type-Options"))
	}
}

// TestLoginStyleHash: the login page's inline style is the one its CSP
// allows by hash (otherwise the browser would drop it).
func TestLoginStyleHash(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, "127.0.0.1:1")
	s, err := New(cfg, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- s.Run(t.Context()) }()
	t.Cleanup(s.Close)
	select {
	case <-s.Ready():
	case err := <-ran:
		t.Fatalf("Run: %v", err)
	}
	resp, err := http.Get(s.URL() + "/login")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.WriteString(string(buf[:n]))
		if err != nil {
			break
		}
	}
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(b.String())
	if m == nil {
		t.Fatal("no style block")
	}
	h := sha256.Sum256([]byte(m[1]))
	want := "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, want) {
		t.Errorf("CSP %q does not allow the style block (%s)", csp, want)
	}
}

// TestLoginRateLimit: every client here shares one address, as users do
// behind the TLS proxy. A stranger's 10 failed logins for a user refuse the
// 11th attempt with the right password from any client without a device
// cookie (429), but not the user's own browser, which logged in before:
// before device cookies, it was locked out too. Failures of its own count
// for that browser alone. 30 failures for many user names from the address
// refuse other strangers, never the browser. A minute later all works.
func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	r := startConsole(t, testConfig(t, kafkaAddr(t)), Deps{})
	own := r.client().login("disp").logout()
	stranger := r.client()
	for i := range loginMaxFailures {
		if resp := stranger.tryLogin("disp", "wrong"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %s, want 401", i+1, resp.Status)
		}
	}
	if resp := stranger.tryLogin("disp", "pw-disp"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("11th attempt with the right password: %s, want 429", resp.Status)
	}
	if resp := r.client().tryLogin("disp", "pw-disp"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("another client without a device cookie: %s, want 429", resp.Status)
	}
	if resp := own.tryLogin("disp", "pw-disp"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the user's own browser after a stranger's failures: %s, want a session", resp.Status)
	}
	own.fetchToken().logout()
	for range loginMaxFailures {
		own.tryLogin("disp", "typo")
	}
	if resp := own.tryLogin("disp", "pw-disp"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the browser's own 11th attempt: %s, want 429", resp.Status)
	}
	r.clock.Add(loginWindow)
	if resp := stranger.tryLogin("disp", "pw-disp"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a minute later: %s, want a session", resp.Status)
	}

	// One address trying many user names.
	r.clock.Add(loginWindow)
	oper := r.client().login("oper").logout()
	c := r.client()
	for i := range addressMaxFailures {
		if resp := c.tryLogin(fmt.Sprintf("user%d", i), "x"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %s", i+1, resp.Status)
		}
	}
	if resp := r.client().tryLogin("oper", "pw-oper"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a stranger from the address after %d failures: %s, want 429", addressMaxFailures, resp.Status)
	}
	if resp := oper.tryLogin("oper", "pw-oper"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("oper's own browser: %s, want a session", resp.Status)
	}
	oper.fetchToken().logout()
	// A device cookie is the user's: for another user it counts as none.
	if resp := oper.tryLogin("disp", "pw-disp"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("oper's browser logging in as disp: %s, want 429", resp.Status)
	}
}

// TestSafeNext: a post-login destination stays on the site, whatever a
// browser makes of it.
func TestSafeNext(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/queue?camera=c1":     "/queue?camera=c1",
		"/cases/x#events":      "/cases/x",
		"/\t/evil.example":     "/", // before: kept, and Chromium went to evil.example
		"/\n/evil.example":     "/",
		"/\\evil.example":      "/",
		"//evil.example":       "/",
		"/%09/evil.example":    "/%09/evil.example", // a path segment, percent-encoded: stays here
		"https://evil.example": "/",
		"evil.example":         "/",
		"/login?next=//x":      "/",
		"":                     "/",
		"/\x7f/x":              "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLoginRedirectStaysHere: a logged-in user sent to
// /login?next=/%09/evil.example (the tab percent-encoded in the query)
// is redirected on this site, not to evil.example.
func TestLoginRedirectStaysHere(t *testing.T) {
	t.Parallel()
	r := startConsole(t, testConfig(t, kafkaAddr(t)), Deps{})
	c := r.client().login("disp")
	_, resp := c.get("/login?next=/%09/evil.example")
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/" {
		t.Fatalf("%s to %q, want 303 to /", resp.Status, loc)
	}
}
