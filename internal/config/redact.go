package config

import (
	"net/url"
	"regexp"
	"strings"
)

// secretParam matches query parameter names that carry a credential
// (?password=, &pwd=, &token=, &authkey=, ...).
var secretParam = regexp.MustCompile(`(?i)pass|pwd|token|secret|key|auth|sig`)

// Redact returns a camera address fit for logs and pages: the password of
// its user-info and the values of credential-like query parameters
// replaced by "xxxxx", the fragment dropped. The user-info is taken as a
// field, up to the last '@' of the address, so a password with characters
// a URL does not allow there ('#', '/', '?', unencoded) is hidden too.
func Redact(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return "<not a URL>"
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		user, _, hasPass := strings.Cut(rest[:at], ":")
		if i := strings.IndexAny(user, "/?#"); i >= 0 {
			user = user[:i] // no user name: the '@' was further on
		}
		if hasPass {
			user += ":xxxxx"
		}
		rest = user + "@" + rest[at+1:]
	}
	u, err := url.Parse(scheme + "://" + rest)
	if err != nil {
		return scheme + "://<unparsable address>"
	}
	u.Fragment, u.RawFragment = "", ""
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if secretParam.MatchString(k) {
				q.Set(k, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}
