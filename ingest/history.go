package ingest

import (
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patrol-city/patrol/config/safepath"
	"github.com/patrol-city/patrol/ingest/media"
)

// History keeps a camera's compressed stream on local disk beyond the ring
// buffer, so evidence can show how a parked car arrived minutes before the
// rule fired. The ring hands it each GOP it evicts; History writes one file
// per GOP (encoding/gob: a private, short-lived format, read only by this
// package) and deletes the oldest files beyond MaxBytes or MaxAge. Its
// directory is emptied on open and removed on Close.
type History struct {
	root     string // trusted parent (data_dir/history)
	name     string // checked element (camera id)
	dir      string // root/name
	maxBytes int64
	maxAge   time.Duration

	mu      sync.Mutex
	segs    []segment
	bytes   int64
	seq     uint64
	dropped atomic.Uint64
}

type segment struct {
	path        string
	first, last time.Time // receive times of the first and last unit
	size        int64
}

// segmentFile is the content of one file.
type segmentFile struct {
	Params media.Params
	Units  []media.AccessUnit
}

// OpenHistory prepares the directory root/name (emptying it) for a history
// bounded by maxBytes and maxAge. name comes from outside (a camera id): it
// must be one plain path element, and the removal happens inside an os.Root
// on root, so nothing outside root/name is ever removed.
func OpenHistory(root, name string, maxBytes int64, maxAge time.Duration) (*History, error) {
	if root == "" || maxBytes <= 0 || maxAge <= 0 {
		return nil, errors.New("ingest: history needs a directory, a byte bound and an age bound")
	}
	dir, err := safepath.Join(root, name)
	if err != nil {
		return nil, fmt.Errorf("ingest: history: %w", err)
	}
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, fmt.Errorf("ingest: history: %w", err)
	}
	if err := safepath.RemoveAll(root, name); err != nil {
		return nil, fmt.Errorf("ingest: history: %w", err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("ingest: history: %w", err)
	}
	return &History{root: root, name: name, dir: dir, maxBytes: maxBytes, maxAge: maxAge}, nil
}

// Append writes one GOP evicted from the ring.
func (h *History) Append(params media.Params, units []media.AccessUnit) error {
	if len(units) == 0 {
		return nil
	}
	h.mu.Lock()
	h.seq++
	path := filepath.Join(h.dir, fmt.Sprintf("%012d.gop", h.seq))
	h.mu.Unlock()
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("ingest: history: %w", err)
	}
	err = gob.NewEncoder(f).Encode(segmentFile{Params: params, Units: units})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("ingest: history: %w", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("ingest: history: %w", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.segs = append(h.segs, segment{path: path, first: units[0].Recv, last: units[len(units)-1].Recv, size: st.Size()})
	h.bytes += st.Size()
	newest := units[len(units)-1].Recv
	for len(h.segs) > 1 && (h.bytes > h.maxBytes || newest.Sub(h.segs[0].first) > h.maxAge) {
		os.Remove(h.segs[0].path)
		h.bytes -= h.segs[0].size
		h.segs = h.segs[1:]
	}
	return nil
}

// Range returns the units received from the last key unit at or before from
// up to to, from the files on disk.
func (h *History) Range(from, to time.Time) (media.Params, []media.AccessUnit, error) {
	h.mu.Lock()
	var pick []segment
	for i, s := range h.segs {
		// Keep the segment holding from (each starts at a key unit) and
		// every later one that starts before to.
		next := i+1 < len(h.segs) && !h.segs[i+1].first.After(from)
		if !next && !s.first.After(to) {
			pick = append(pick, s)
		}
	}
	h.mu.Unlock()
	var params media.Params
	var out []media.AccessUnit
	for _, s := range pick {
		f, err := os.Open(s.path)
		if err != nil {
			continue // deleted meanwhile by the bound
		}
		var sf segmentFile
		err = gob.NewDecoder(f).Decode(&sf)
		f.Close()
		if err != nil {
			return params, nil, fmt.Errorf("ingest: history %s: %w", s.path, err)
		}
		params = sf.Params
		for _, u := range sf.Units {
			if !u.Recv.After(to) {
				out = append(out, u)
			}
		}
	}
	return params, out, nil
}

// Stats returns the number of files and bytes on disk and the span held.
func (h *History) Stats() (files int, bytes int64, span time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.segs) > 0 {
		span = h.segs[len(h.segs)-1].last.Sub(h.segs[0].first)
	}
	return len(h.segs), h.bytes, span
}

// Close deletes the history's files.
func (h *History) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.segs, h.bytes = nil, 0
	return safepath.RemoveAll(h.root, h.name)
}
