package console

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// client is a browser-like HTTP client of the console that does not
// follow redirects, so that tests see them.
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf string
}

var (
	formToken = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	pageToken = regexp.MustCompile(`data-csrf="([^"]+)"`)
)

func (r *rig) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: r.t, base: r.srv.URL(), hc: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// tryLogin posts the login form (after loading it, for its token).
func (c *client) tryLogin(user, pass string) *http.Response {
	c.t.Helper()
	body, _ := c.get("/login")
	m := formToken.FindStringSubmatch(body)
	if m == nil {
		c.t.Fatalf("login page without a form token: %s", body)
	}
	return c.do(http.MethodPost, "/login", "application/x-www-form-urlencoded",
		url.Values{"user": {user}, "password": {pass}, "csrf": {m[1]}, "next": {"/"}}.Encode(), false)
}

// login logs in as user (password "pw-"+user) and keeps the session's
// CSRF token.
func (c *client) login(user string) *client {
	c.t.Helper()
	resp := c.tryLogin(user, "pw-"+user)
	if resp.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("login %s: %s", user, resp.Status)
	}
	return c.fetchToken()
}

// logout ends the client's session (its device cookie stays).
func (c *client) logout() *client {
	c.t.Helper()
	if resp := c.do(http.MethodPost, "/logout", "", "", true); resp.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("logout: %s", resp.Status)
	}
	return c
}

// fetchToken keeps the session's CSRF token, read from a page.
func (c *client) fetchToken() *client {
	c.t.Helper()
	body, _ := c.get("/suppressions")
	m := pageToken.FindStringSubmatch(body)
	if m == nil {
		c.t.Fatalf("page without a CSRF token: %s", body)
	}
	c.csrf = m[1]
	return c
}

// get returns the body and response of GET path.
func (c *client) get(path string) (string, *http.Response) {
	c.t.Helper()
	resp := c.do(http.MethodGet, path, "", "", false)
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp
}

// do sends a request; withCSRF adds the session's token as header.
func (c *client) do(method, path, ctype, body string, withCSRF bool) *http.Response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if withCSRF {
		req.Header.Set(csrfHeader, c.csrf)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// api sends JSON with the CSRF token and decodes the JSON answer.
func (c *client) api(method, path string, in any, out any) int {
	c.t.Helper()
	raw, _ := json.Marshal(in)
	if in == nil {
		raw = nil
	}
	resp := c.do(method, path, "application/json", string(raw), true)
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}
