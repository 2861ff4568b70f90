package console

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// TestRemovedUserLoggedOut: a user removed from the users file loses the
// session at the next request (before: it lived on for session_ttl).
func TestRemovedUserLoggedOut(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, kafkaAddr(t))
	r := startConsole(t, cfg, Deps{})
	disp := r.client().login("disp")
	if _, resp := disp.get("/queue"); resp.StatusCode != http.StatusOK {
		t.Fatalf("queue: %s", resp.Status)
	}
	raw, err := os.ReadFile(cfg.Console.UsersFile)
	if err != nil {
		t.Fatal(err)
	}
	var keep []string
	for _, l := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(l, "disp:") {
			keep = append(keep, l)
		}
	}
	if err := os.WriteFile(cfg.Console.UsersFile, []byte(strings.Join(keep, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, resp := disp.get("/queue"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("queue after the user's removal: %s, want 303 to the login", resp.Status)
	}
	if _, resp := r.client().login("oper").get("/cameras"); resp.StatusCode != http.StatusOK {
		t.Fatalf("another user: %s", resp.Status)
	}
}

// TestMultipartNotParsed: a multipart body is never parsed for the CSRF
// token (before: a user without a role could make the console write its
// parts to $TMPDIR); the token comes from the header or a urlencoded form.
func TestMultipartNotParsed(t *testing.T) {
	t.Parallel()
	ss := &session{csrf: "tok"}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField(csrfField, "tok")
	fw, _ := mw.CreateFormFile("f", "big.bin")
	_, _ = fw.Write(bytes.Repeat([]byte("x"), 1<<20))
	_ = mw.Close()
	req := httptest.NewRequest(http.MethodPost, "/api/verdicts", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if ss.csrfOK(req) || req.MultipartForm != nil {
		t.Fatal("a multipart form was parsed for the CSRF token")
	}
	form := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(csrfField+"=tok"))
	form.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hdr := httptest.NewRequest(http.MethodPost, "/x", nil)
	hdr.Header.Set(csrfHeader, "tok")
	if !ss.csrfOK(form) || !ss.csrfOK(hdr) {
		t.Fatal("the token of a urlencoded form or of the header refused")
	}
}

// TestSessionsPerUser: one account logging in again and again keeps at
// most maxUserSessions sessions and pushes no other user's out (before:
// maxSessions logins evicted every other session).
func TestSessionsPerUser(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	s := newSessions(time.Hour, func() time.Time { return now })
	other, _ := s.create("disp")
	for range maxSessions + 10 {
		now = now.Add(time.Millisecond)
		s.create("mallory")
	}
	n := 0
	for _, o := range s.byID {
		if o.user == "mallory" {
			n++
		}
	}
	if _, ok := s.byID[other.id]; !ok || n != maxUserSessions {
		t.Fatalf("disp's session kept %v, mallory's sessions %d (want %d)", ok, n, maxUserSessions)
	}
}

// TestBehindTLSProxy: with console.behind_tls_proxy, the console serving
// plain HTTP behind the proxy sets Secure cookies and HSTS (before: it
// could not know, and sent neither).
func TestBehindTLSProxy(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, kafkaAddr(t))
	cfg.Console.BehindTLSProxy = true
	r := startConsole(t, cfg, Deps{})
	c := r.client()
	resp := c.tryLogin("disp", "pw-disp")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %s", resp.Status)
	}
	for _, ck := range resp.Cookies() {
		if !ck.Secure {
			t.Errorf("cookie %s not Secure", ck.Name)
		}
	}
	if len(resp.Cookies()) == 0 || !strings.Contains(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Errorf("cookies %v, HSTS %q", resp.Cookies(), resp.Header.Get("Strict-Transport-Security"))
	}
}

// getWith sends GET path to a console with only the session cookie value.
func getWith(t *testing.T, r *rig, path, session string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, r.srv.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session})
	hc := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestSessionsSharedAndKept: a session made on one console is valid on a
// second console behind the same address at once, and on a console
// started afterwards (a restart); a logout on the first ends it on the
// others (before: sessions lived in one console's memory, so the second
// console and a restarted one sent the user to the login page).
func TestSessionsSharedAndKept(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, kafkaAddr(t))
	a, b := startConsole(t, cfg, Deps{}), startConsole(t, cfg, Deps{})
	c := a.client().login("disp")
	u, _ := url.Parse(a.srv.URL())
	var id string
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			id = ck.Value
		}
	}
	if id == "" {
		t.Fatal("no session cookie")
	}
	if code := getWith(t, b, "/queue", id); code != http.StatusOK {
		t.Fatalf("the session on the second console: %d, want 200", code)
	}
	restarted := startConsole(t, cfg, Deps{})
	if code := getWith(t, restarted, "/queue", id); code != http.StatusOK {
		t.Fatalf("the session on a console started after the login: %d, want 200", code)
	}
	c.logout()
	for _, r := range []*rig{b, restarted} {
		waitFor(t, 5*time.Second, "the logout seen by the other console", func() bool {
			return getWith(t, r, "/queue", id) == http.StatusSeeOther
		})
	}
	if code := getWith(t, a, "/queue", "not-a-session"); code != http.StatusSeeOther {
		t.Fatalf("an unknown session: %d, want 303 to the login", code)
	}
}

// TestLongUserNameNotKept: a login with a user name over maxUserName bytes
// is refused without a password check and its name never becomes a
// limiter key (before: any length was kept as a key and logged).
func TestLongUserNameNotKept(t *testing.T) {
	t.Parallel()
	r := startConsole(t, testConfig(t, kafkaAddr(t)), Deps{})
	long := strings.Repeat("x", 10000)
	if resp := r.client().tryLogin(long, "pw"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("login with a 10 kB name: %s, want 401", resp.Status)
	}
	r.srv.limiter.mu.Lock()
	defer r.srv.limiter.mu.Unlock()
	for k := range r.srv.limiter.failures {
		if len(k) > 2*maxUserName {
			t.Fatalf("limiter key of %d bytes kept", len(k))
		}
	}
}
