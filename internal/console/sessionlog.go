package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/patrol-city/patrol/internal/kafka/ktable"
	"github.com/patrol-city/patrol/internal/publisher/broker"
)

// Sessions survive a console restart and are shared by the consoles behind
// one address: each login is written to the compacted topic
// console.sessions_topic (default patrol.console.sessions.v1), keyed by
// the SHA-256 of the session id (the topic never holds an id a cookie
// could carry), and a logout, an eviction or a removed user writes a
// tombstone. A console that does not know a cookie's session reads the
// topic to its end (at most sessionSyncWait) before it says no, so a
// login on one console is valid on the other at once; a session this
// console knows is dropped as soon as its tombstone is read (within the
// topic's delivery delay, well under a second on a LAN; the browser that
// logged out has lost its cookie already).

// sessionSyncWait bounds the wait for the topic on an unknown session.
const sessionSyncWait = 2 * time.Second

// sessionRecord is a session as the topic holds it.
type sessionRecord struct {
	SchemaVersion int       `json:"schema_version"`
	User          string    `json:"user"`
	CSRF          string    `json:"csrf"`
	Expires       time.Time `json:"expires"`
}

// check validates a record read from the topic.
func (r sessionRecord) check() error {
	switch {
	case r.SchemaVersion != 1:
		return errors.New("session record: schema_version must be 1")
	case r.User == "" || len(r.User) > maxUserName:
		return errors.New("session record: bad user")
	case len(r.CSRF) != 43:
		return errors.New("session record: bad csrf token")
	case r.Expires.IsZero():
		return errors.New("session record: no expiry")
	}
	return nil
}

// sessionKey is the topic key of session id.
func sessionKey(id string) string {
	h := sha256.Sum256([]byte(id))
	return "session:" + hex.EncodeToString(h[:])
}

// sessionLog is the topic behind the sessions.
type sessionLog struct {
	table *ktable.Table
	w     *broker.Writer
}

// put writes ss (blocking until Kafka acknowledged it).
func (l *sessionLog) put(ctx context.Context, ss *session) error {
	raw, err := json.Marshal(sessionRecord{SchemaVersion: 1, User: ss.user, CSRF: ss.csrf, Expires: ss.expires})
	if err != nil {
		return err
	}
	return l.w.WriteCase(ctx, sessionKey(ss.id), raw)
}

// drop writes the tombstone of session id.
func (l *sessionLog) drop(ctx context.Context, id string) error {
	return l.w.WriteCase(ctx, sessionKey(id), nil)
}

// dropKey writes the tombstone of a topic key.
func (l *sessionLog) dropKey(ctx context.Context, key string) error {
	return l.w.WriteCase(ctx, key, nil)
}

// lookup returns the record of session id as read so far.
func (l *sessionLog) lookup(id string) (sessionRecord, bool) {
	e, ok := l.table.Get(sessionKey(id))
	if !ok || e.Value == nil {
		return sessionRecord{}, false
	}
	var r sessionRecord
	if json.Unmarshal(e.Value, &r) != nil || r.check() != nil {
		return sessionRecord{}, false
	}
	return r, true
}

// has reports whether the topic, as read so far, holds session id (no
// decoding: a session known here only needs its record's presence).
func (l *sessionLog) has(id string) bool {
	e, ok := l.table.Get(sessionKey(id))
	return ok && e.Value != nil
}

// keysOf returns the topic keys of user's sessions.
func (l *sessionLog) keysOf(user string) []string {
	var keys []string
	for _, e := range l.table.All() {
		var r sessionRecord
		if e.Value != nil && json.Unmarshal(e.Value, &r) == nil && r.User == user {
			keys = append(keys, e.Key)
		}
	}
	return keys
}
