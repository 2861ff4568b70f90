// Package outbox is patrol's durable local queue of cases waiting for
// delivery: each entry holds one case (its JSON), the bytes of its evidence
// objects and its delivery state (which objects are stored, the final message
// once built). An entry is fsynced to disk before Enqueue returns, so an
// accepted case survives a crash or SIGKILL of the worker; the publisher
// removes it once the case is published.
//
// It is hand-written on purpose: none of patrol's dependencies offers a
// well-kept, embeddable durable queue for Go, and a directory of fsynced
// files is simple, needs nothing but the standard library, and can be
// inspected (and emptied) with ls, cat and rm.
//
// Layout of Config.Dir:
//
//	LOCK                        advisory lock: one process per directory
//	<id>/entry.json             the case JSON and the list of objects
//	<id>/objects/<name>         the evidence bytes (clip.mp4, snapshot.jpg)
//	<id>/state.json             objects stored so far (rewritten atomically)
//	<id>/message.json           the final message, once built
//	tmp-<id>/                   an Enqueue that did not finish (removed on start)
//	del-<id>/                   a delivered entry being removed (removed on start)
//	bad-<id>/                   an entry that could not be read or delivered (kept)
//
// Ids sort by enqueue time, so entries are delivered oldest first.
package outbox

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults of Config.
const (
	// DefaultMaxBytes bounds the queue when Config.MaxBytes is 0: 1 GiB.
	DefaultMaxBytes = 1 << 30
	// DefaultWarnFraction is the fill level that is warned about when
	// Config.WarnFraction is 0.
	DefaultWarnFraction = 0.8
)

// ErrFull is returned (wrapped) by Enqueue when the entry would take the queue
// beyond Config.MaxBytes. The entry is not stored; the queued ones are
// untouched. Every refusal is counted in Stats.Refused.
var ErrFull = errors.New("outbox full")

// ErrClosed is returned by the methods of a closed Outbox.
var ErrClosed = errors.New("outbox closed")

// Config configures an Outbox.
type Config struct {
	// Dir is the queue's directory (required). It is created if missing. It
	// must be on a local file system that honours fsync, and only one
	// process may use it at a time (it is locked).
	Dir string
	// MaxBytes bounds the bytes on disk of all entries (default
	// DefaultMaxBytes, 1 GiB).
	MaxBytes int64
	// WarnFraction of MaxBytes: crossing it logs one warning, re-armed when
	// the queue falls below it again (default DefaultWarnFraction, 0.8).
	WarnFraction float64
}

// Stats describes the queue at one moment.
type Stats struct {
	// Entries and Bytes are the queue depth: entries waiting for delivery
	// and their size on disk.
	Entries int
	Bytes   int64
	// MaxBytes is the configured bound.
	MaxBytes int64
	// Oldest is when the oldest waiting entry was enqueued (zero when
	// empty); OldestAge is the time since then.
	Oldest    time.Time
	OldestAge time.Duration
	// Enqueued, Refused (ErrFull), Done and Quarantined count entries since
	// New; Recovered counts the entries found on disk by New.
	Enqueued, Refused, Done, Quarantined, Recovered uint64
}

// Outbox is a durable queue in a directory. It is safe for concurrent use;
// the per-entry methods (MarkStored, SetMessage, Done, Quarantine) expect one
// deliverer per entry.
type Outbox struct {
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	lock   *os.File
	ready  chan struct{}
	mu     sync.Mutex
	index  map[string]*meta
	bytes  int64 // of indexed entries
	resv   int64 // reserved by Enqueues in progress
	warned bool
	closed bool
	st     Stats
}

// meta is what the index keeps of an entry.
type meta struct {
	bytes    int64
	enqueued time.Time
}

// Deps are an Outbox's collaborators.
type Deps struct {
	// Logger receives the outbox's warnings; nil is silent.
	Logger *slog.Logger
	// Now stamps entries and ages them (default time.Now).
	Now func() time.Time
}

// New validates cfg, creates and locks the directory and recovers the entries
// left there by an earlier process (they are delivered again).
func New(cfg Config, deps Deps) (*Outbox, error) {
	log := deps.Logger
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if cfg.Dir == "" {
		return nil, errors.New("outbox: dir required")
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.WarnFraction == 0 {
		cfg.WarnFraction = DefaultWarnFraction
	}
	if cfg.MaxBytes < 0 || cfg.WarnFraction < 0 || cfg.WarnFraction > 1 {
		return nil, fmt.Errorf("outbox: max bytes %d must be positive and warn fraction %g in 0..1", cfg.MaxBytes, cfg.WarnFraction)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	lock, err := lockDir(filepath.Join(cfg.Dir, "LOCK"))
	if err != nil {
		return nil, err
	}
	o := &Outbox{cfg: cfg, log: log, now: deps.Now, lock: lock, ready: make(chan struct{}, 1), index: map[string]*meta{}}
	if err := o.recover(); err != nil {
		lock.Close()
		return nil, err
	}
	o.checkWarn()
	if n := len(o.index); n > 0 {
		o.log.Info("outbox: resuming entries left by an earlier run", "dir", cfg.Dir, "entries", n, "bytes", o.bytes)
		o.signal()
	}
	return o, nil
}

// recover indexes the entries on disk and removes unfinished enqueues and
// deletions.
func (o *Outbox) recover() error {
	des, err := os.ReadDir(o.cfg.Dir)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	for _, de := range des {
		name := de.Name()
		path := filepath.Join(o.cfg.Dir, name)
		switch {
		case !de.IsDir() || strings.HasPrefix(name, "bad-"):
		case strings.HasPrefix(name, "tmp-") || strings.HasPrefix(name, "del-"):
			if err := os.RemoveAll(path); err != nil {
				return fmt.Errorf("outbox: %w", err)
			}
		default:
			m, err := readEntryFile(path)
			if err == nil && m.ID != name {
				err = fmt.Errorf("entry id %q does not match its directory", m.ID)
			}
			if err != nil {
				o.log.Error("outbox: unreadable entry set aside", "entry", name, "err", err)
				if err := o.setAside(name); err != nil {
					return err
				}
				continue
			}
			size, err := dirSize(path)
			if err != nil {
				return fmt.Errorf("outbox: %w", err)
			}
			o.index[name] = &meta{bytes: size, enqueued: m.Enqueued}
			o.bytes += size
			o.st.Recovered++
		}
	}
	return syncDir(o.cfg.Dir)
}

// Dir is the queue's directory.
func (o *Outbox) Dir() string { return o.cfg.Dir }

// Ready is signalled (without blocking; capacity 1) after an entry was
// enqueued or recovered.
func (o *Outbox) Ready() <-chan struct{} { return o.ready }

func (o *Outbox) signal() {
	select {
	case o.ready <- struct{}{}:
	default:
	}
}

// List returns the ids of the waiting entries, oldest first.
func (o *Outbox) List() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	ids := make([]string, 0, len(o.index))
	for id := range o.index {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Stats returns the queue's depth, age and counters.
func (o *Outbox) Stats() Stats {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.st
	s.Entries, s.Bytes, s.MaxBytes = len(o.index), o.bytes, o.cfg.MaxBytes
	for _, m := range o.index {
		if s.Oldest.IsZero() || m.enqueued.Before(s.Oldest) {
			s.Oldest = m.enqueued
		}
	}
	if !s.Oldest.IsZero() {
		s.OldestAge = o.now().Sub(s.Oldest)
	}
	return s
}

// Close releases the directory; the entries stay on disk for the next New.
func (o *Outbox) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil
	}
	o.closed = true
	return o.lock.Close()
}

// checkWarn logs once when the queue crosses WarnFraction and re-arms below
// it. Call with mu held (or before the Outbox is shared).
func (o *Outbox) checkWarn() {
	at := int64(float64(o.cfg.MaxBytes) * o.cfg.WarnFraction)
	switch {
	case !o.warned && o.bytes >= at:
		o.warned = true
		o.log.Warn("outbox: nearly full; new cases will be refused at the bound", "dir", o.cfg.Dir,
			"bytes", o.bytes, "max_bytes", o.cfg.MaxBytes, "entries", len(o.index))
	case o.warned && o.bytes < at:
		o.warned = false
		o.log.Info("outbox: back below the warning level", "dir", o.cfg.Dir, "bytes", o.bytes, "max_bytes", o.cfg.MaxBytes)
	}
}

// resize adjusts the indexed size of entry id by delta bytes.
func (o *Outbox) resize(id string, delta int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if m, ok := o.index[id]; ok {
		m.bytes += delta
		o.bytes += delta
		o.checkWarn()
	}
}

// drop removes entry id from the index.
func (o *Outbox) drop(id string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if m, ok := o.index[id]; ok {
		o.bytes -= m.bytes
		delete(o.index, id)
		o.checkWarn()
	}
}
