package ingest

import (
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/safepath"
)

// History keeps a camera's compressed stream on local disk beyond the ring
// buffer, so evidence can show how a parked car arrived minutes before the
// rule fired. The ring hands it each GOP it evicts; History writes one file
// per GOP (encoding/gob: a private, short-lived format, read only by this
// package), named after its sequence number and the receive times of its
// first and last unit, and deletes the oldest files beyond MaxBytes or
// MaxAge. Files left by a worker that was killed are kept at open (within
// the bounds) so that a restarted worker can still cut the clip of a case
// it had confirmed; other files in the directory are removed. A clean Close
// removes the directory.
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
	seq         uint64
	first, last time.Time // receive times of the first and last unit
	size        int64
}

// segmentFile is the content of one file.
type segmentFile struct {
	Params media.Params
	Units  []media.AccessUnit
}

// OpenHistory prepares the directory root/name for a history bounded by
// maxBytes and maxAge, indexing the segment files a killed worker left there
// (within the bounds) and removing anything else in it. name comes from outside (a camera id): it
// must be one plain path element, and the removal happens inside an os.Root
// on root, so nothing outside root/name is ever removed.
func OpenHistory(root, name string, maxBytes int64, maxAge time.Duration, now time.Time) (*History, error) {
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
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("ingest: history: %w", err)
	}
	h := &History{root: root, name: name, dir: dir, maxBytes: maxBytes, maxAge: maxAge}
	h.segs, h.seq = scanSegments(dir, true)
	for _, s := range h.segs {
		h.bytes += s.size
	}
	h.trim(now)
	return h, nil
}

// segmentName is the file name of a segment: sequence, first and last
// receive time (Unix nanoseconds), so the index is rebuilt from names alone.
func segmentName(seq uint64, first, last time.Time) string {
	return fmt.Sprintf("%012d-%d-%d.gop", seq, first.UnixNano(), last.UnixNano())
}

// scanSegments indexes the segment files in dir, oldest first, and returns
// the highest sequence number; with clean set it removes every other file.
func scanSegments(dir string, clean bool) ([]segment, uint64) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0
	}
	var segs []segment
	var maxSeq uint64
	for _, de := range des {
		var seq uint64
		var first, last int64
		path := filepath.Join(dir, de.Name())
		info, ierr := de.Info()
		n, _ := fmt.Sscanf(de.Name(), "%d-%d-%d.gop", &seq, &first, &last)
		if n != 3 || ierr != nil || !de.Type().IsRegular() || de.Name() != segmentName(seq, time.Unix(0, first), time.Unix(0, last)) {
			if clean {
				os.RemoveAll(path)
			}
			continue
		}
		segs = append(segs, segment{path: path, seq: seq, first: time.Unix(0, first), last: time.Unix(0, last), size: info.Size()})
		maxSeq = max(maxSeq, seq)
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].seq < segs[j].seq })
	return segs, maxSeq
}

// trim deletes the oldest segments beyond the bounds, newest being now or
// the newest unit held. Callers hold h.mu (or own h alone).
func (h *History) trim(newest time.Time) {
	for len(h.segs) > 1 && (h.bytes > h.maxBytes || newest.Sub(h.segs[0].first) > h.maxAge) {
		os.Remove(h.segs[0].path)
		h.bytes -= h.segs[0].size
		h.segs = h.segs[1:]
	}
	if len(h.segs) == 1 && newest.Sub(h.segs[0].last) > h.maxAge {
		os.Remove(h.segs[0].path)
		h.bytes, h.segs = 0, nil
	}
}

// Append writes one GOP evicted from the ring.
func (h *History) Append(params media.Params, units []media.AccessUnit) error {
	if len(units) == 0 {
		return nil
	}
	h.mu.Lock()
	h.seq++
	seq := h.seq
	path := filepath.Join(h.dir, segmentName(seq, units[0].Recv, units[len(units)-1].Recv))
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
	h.segs = append(h.segs, segment{path: path, seq: seq, first: units[0].Recv, last: units[len(units)-1].Recv, size: st.Size()})
	h.bytes += st.Size()
	h.trim(units[len(units)-1].Recv)
	return nil
}

// Range returns the units received from the last key unit at or before from
// up to to, from the files on disk.
func (h *History) Range(from, to time.Time) (media.Params, []media.AccessUnit, error) {
	h.mu.Lock()
	segs := append([]segment(nil), h.segs...)
	h.mu.Unlock()
	return readSegments(segs, from, to)
}

// readSegments reads the units from the last key unit at or before from up
// to to out of segs (oldest first; each starts at a key unit).
func readSegments(segs []segment, from, to time.Time) (media.Params, []media.AccessUnit, error) {
	var pick []segment
	for i, s := range segs {
		// Keep the segment holding from and every later one that starts
		// before to.
		next := i+1 < len(segs) && !segs[i+1].first.After(from)
		if !next && !s.first.After(to) {
			pick = append(pick, s)
		}
	}
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

// HistoryReader reads a camera's history files on disk without owning them
// (the camera's running History may add and delete files meanwhile): a
// restarted worker cuts the clip of a case confirmed before it was killed.
type HistoryReader struct{ dir string }

// OpenHistoryReader returns a reader of root/name (name must be one plain
// path element, as for OpenHistory).
func OpenHistoryReader(root, name string) (*HistoryReader, error) {
	dir, err := safepath.Join(root, name)
	if err != nil {
		return nil, fmt.Errorf("ingest: history: %w", err)
	}
	return &HistoryReader{dir: dir}, nil
}

// Range returns the units from the last key unit at or before from up to
// to that are still on disk (none when the history is gone).
func (r *HistoryReader) Range(from, to time.Time) (media.Params, []media.AccessUnit) {
	segs, _ := scanSegments(r.dir, false)
	params, units, err := readSegments(segs, from, to)
	if err != nil {
		return params, nil
	}
	return params, units
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
