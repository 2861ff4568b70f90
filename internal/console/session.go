package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Cookie names.
const (
	sessionCookie = "patrol_session"
	// loginCookie carries the login form's CSRF token before there is a
	// session (double submit: cookie and form field must match).
	loginCookie = "patrol_login"
	// csrfHeader carries the session's CSRF token on fetch requests; a
	// form sends it as the field csrfField.
	csrfHeader = "X-CSRF-Token"
	csrfField  = "csrf"
)

// maxSessions bounds the sessions kept in memory; the oldest goes first.
// maxUserSessions bounds one user's: beyond it the user's own oldest goes,
// so that logging in again and again with one account cannot push the
// other users' sessions out.
const (
	maxSessions     = 10000
	maxUserSessions = 50
)

// session is a logged-in user.
type session struct {
	id      string
	user    string
	csrf    string
	expires time.Time
}

// sessions are kept in memory only: a restarted console logs everyone
// out (nothing else is lost: the data lives in Kafka).
type sessions struct {
	ttl time.Duration
	now func() time.Time

	mu   sync.Mutex
	byID map[string]*session
}

func newSessions(ttl time.Duration, now func() time.Time) *sessions {
	return &sessions{ttl: ttl, now: now, byID: map[string]*session{}}
}

// token returns 32 random bytes, base64url.
func token() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// create starts a session for user, dropping expired ones (and the one
// expiring first when the bound is reached).
func (s *sessions) create(user string) *session {
	now := s.now()
	ss := &session{id: token(), user: user, csrf: token(), expires: now.Add(s.ttl)}
	s.mu.Lock()
	defer s.mu.Unlock()
	var mine *session
	n := 0
	for _, o := range s.byID {
		if o.user == user {
			n++
			if mine == nil || o.expires.Before(mine.expires) {
				mine = o
			}
		}
	}
	if n >= maxUserSessions {
		delete(s.byID, mine.id)
	}
	if len(s.byID) >= maxSessions {
		var oldest *session
		for id, o := range s.byID {
			if !now.Before(o.expires) {
				delete(s.byID, id)
			} else if oldest == nil || o.expires.Before(oldest.expires) {
				oldest = o
			}
		}
		if len(s.byID) >= maxSessions && oldest != nil {
			delete(s.byID, oldest.id)
		}
	}
	s.byID[ss.id] = ss
	return ss
}

// get returns the live session of r's cookie.
func (s *sessions) get(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.byID[c.Value]
	if ss == nil {
		return nil
	}
	if !s.now().Before(ss.expires) {
		delete(s.byID, ss.id)
		return nil
	}
	return ss
}

// endUser removes every session of user.
func (s *sessions) endUser(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, o := range s.byID {
		if o.user == user {
			delete(s.byID, id)
		}
	}
}

// end removes a session.
func (s *sessions) end(id string) {
	s.mu.Lock()
	delete(s.byID, id)
	s.mu.Unlock()
}

// csrfOK reports whether r carries the session's CSRF token (header or
// form field), compared in constant time.
func (ss *session) csrfOK(r *http.Request) bool {
	got := r.Header.Get(csrfHeader)
	if got == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		return false // the console posts no multipart form: never parsed
	}
	if got == "" {
		got = r.PostFormValue(csrfField)
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(ss.csrf)) == 1
}

// cookie returns a console cookie: HttpOnly, SameSite=Strict, Path /,
// Secure when the console serves TLS. maxAge < 0 deletes it.
func (s *Server) cookie(name, value string, maxAge time.Duration) *http.Cookie {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: s.tls != nil || s.cfg.Console.BehindTLSProxy}
	switch {
	case maxAge < 0:
		c.MaxAge = -1
	case maxAge > 0:
		c.MaxAge = int(maxAge / time.Second)
	}
	return c
}
