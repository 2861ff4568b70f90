package pipeline

import (
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/patrol-city/patrol/internal/publisher/outbox"
)

// bookStore persists every camera's case book off the shared detector
// goroutine. A camera's save hands over a snapshot (the JSON of its open
// cases, marshalled in memory); one writer goroutine writes the latest
// snapshot of each camera atomically (temporary file, fsync, rename, fsync
// of the directory). Snapshots that arrive while a write is under way
// replace each other, so a slow disk costs writes, not detector time.
// Run writes until Close, which writes what is still pending and waits.
type bookStore struct {
	write func(path string, data []byte) error
	log   *slog.Logger

	mu      sync.Mutex
	pending map[string][]byte
	order   []string // paths in arrival order
	closed  bool
	writing string     // the path being written
	stopped bool       // run returned
	idle    *sync.Cond // signalled after each write
	wake    chan struct{}
	done    chan struct{}

	writes, coalesced atomic.Uint64
}

// writeAtomic is the default writer of case books.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return outbox.ReplaceFile(dir, filepath.Base(path), data)
}

func newBookStore(write func(string, []byte) error, log *slog.Logger) *bookStore {
	if write == nil {
		write = writeAtomic
	}
	s := &bookStore{write: write, log: log, pending: map[string][]byte{},
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.idle = sync.NewCond(&s.mu)
	return s
}

// flush waits until the snapshot queued for path (if any) is written or
// failed. run must be running.
func (s *bookStore) flush(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		_, queued := s.pending[path]
		if (!queued && s.writing != path) || s.stopped {
			return
		}
		s.idle.Wait()
	}
}

// put queues the latest snapshot of the book at path; it never blocks on
// the disk.
func (s *bookStore) put(path string, data []byte) {
	s.mu.Lock()
	if _, queued := s.pending[path]; queued {
		s.coalesced.Add(1)
	} else {
		s.order = append(s.order, path)
	}
	s.pending[path] = data
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// run writes queued snapshots until close, then the rest.
func (s *bookStore) run() {
	defer close(s.done)
	defer func() {
		s.mu.Lock()
		s.stopped = true
		s.idle.Broadcast()
		s.mu.Unlock()
	}()
	for {
		s.mu.Lock()
		if len(s.order) == 0 {
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return
			}
			<-s.wake
			continue
		}
		path := s.order[0]
		s.order = s.order[1:]
		data := s.pending[path]
		delete(s.pending, path)
		s.writing = path
		s.mu.Unlock()
		err := s.write(path, data)
		s.mu.Lock()
		s.writing = ""
		s.idle.Broadcast()
		s.mu.Unlock()
		if err != nil {
			s.log.Error("open cases not saved", "to", path, "err", err)
			continue
		}
		s.writes.Add(1)
	}
}

// close makes run write what is pending and return, and waits for it.
// It must only be called after run was started.
func (s *bookStore) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	<-s.done
}
