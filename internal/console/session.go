package console

import (
	"context"
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
	// seen is set once the session was read back from the sessions
	// topic: from then on its absence there means a tombstone.
	seen bool
}

// sessions are kept in memory and, once the console runs, in the
// sessions topic (sessionlog.go; log nil: memory only).
type sessions struct {
	ttl time.Duration
	now func() time.Time
	log *sessionLog
	// syncMu lets one request at a time read the sessions topic to its end.
	syncMu sync.Mutex

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
// expiring first when the bound is reached); it returns the ids dropped,
// for their tombstones.
func (s *sessions) create(user string) (*session, []string) {
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
	var dropped []string
	if n >= maxUserSessions {
		delete(s.byID, mine.id)
		dropped = append(dropped, mine.id)
	}
	if len(s.byID) >= maxSessions {
		var oldest *session
		for id, o := range s.byID {
			if !now.Before(o.expires) {
				delete(s.byID, id)
				dropped = append(dropped, id)
			} else if oldest == nil || o.expires.Before(oldest.expires) {
				oldest = o
			}
		}
		if len(s.byID) >= maxSessions && oldest != nil {
			delete(s.byID, oldest.id)
			dropped = append(dropped, oldest.id)
		}
	}
	s.byID[ss.id] = ss
	return ss, dropped
}

// get returns the live session of r's cookie.
func (s *sessions) get(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > 64 {
		return nil
	}
	id := c.Value
	if s.log != nil {
		return s.getLogged(r.Context(), id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live(id)
}

// live returns session id when it is known here and not expired; mu must
// be held.
func (s *sessions) live(id string) *session {
	ss := s.byID[id]
	if ss == nil {
		return nil
	}
	if !s.now().Before(ss.expires) {
		delete(s.byID, ss.id)
		return nil
	}
	return ss
}

// getLogged is get with the sessions topic: a session known here goes
// once its tombstone is read; one not known here is taken from the topic
// (read to its end first when it is not there yet: a login on another
// console a moment ago).
func (s *sessions) getLogged(ctx context.Context, id string) *session {
	s.mu.Lock()
	ss := s.live(id)
	if ss != nil {
		if s.log.has(id) {
			ss.seen = true
		} else if ss.seen {
			delete(s.byID, id) // logged out on another console
			ss = nil
		}
		s.mu.Unlock()
		return ss
	}
	s.mu.Unlock()
	rec, inLog := s.log.lookup(id)
	if !inLog {
		if len(id) != 43 {
			return nil // not an id this console makes: no reading of Kafka
		}
		// One reading of the topic at a time: a flood of made-up cookies
		// costs Kafka one request after another, not one each at once.
		s.syncMu.Lock()
		if rec, inLog = s.log.lookup(id); !inLog {
			sctx, cancel := context.WithTimeout(ctx, sessionSyncWait)
			_ = s.log.table.Sync(sctx)
			cancel()
			rec, inLog = s.log.lookup(id)
		}
		s.syncMu.Unlock()
		if !inLog {
			return nil
		}
	}
	if !s.now().Before(rec.Expires) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss = &session{id: id, user: rec.User, csrf: rec.CSRF, expires: rec.Expires, seen: true}
	s.byID[id] = ss
	return ss
}

// persist writes a new session and the tombstones of the sessions its
// creation dropped to the sessions topic (nothing without one).
func (s *sessions) persist(ctx context.Context, ss *session, dropped []string) error {
	if s.log == nil {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.log.put(wctx, ss); err != nil {
		return err
	}
	for _, id := range dropped {
		if err := s.log.drop(wctx, id); err != nil {
			return err
		}
	}
	return nil
}

// forget writes the tombstone of session id.
func (s *sessions) forget(ctx context.Context, id string) error {
	if s.log == nil {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return s.log.drop(wctx, id)
}

// forgetUser writes the tombstones of every session of user in the topic.
func (s *sessions) forgetUser(ctx context.Context, user string) error {
	if s.log == nil {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for _, k := range s.log.keysOf(user) {
		if err := s.log.dropKey(wctx, k); err != nil {
			return err
		}
	}
	return nil
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
