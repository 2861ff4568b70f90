package outbox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/patrol-city/patrol/internal/publisher/evidence"
)

// ErrCorrupt is returned (wrapped) when an entry on disk is unreadable or an
// object's bytes no longer match the SHA-256 recorded when it was enqueued.
// Such an entry cannot be delivered; the deliverer should Quarantine it.
var ErrCorrupt = errors.New("outbox: entry corrupt")

// Object is one evidence object to enqueue.
type Object struct {
	// Name is the object's file name in the entry, e.g. "clip.mp4": 1 to 64
	// characters from [A-Za-z0-9._-], not starting with a dot, unique in
	// the entry.
	Name string
	// Key is the object key in the evidence store.
	Key string
	// ContentType is its media type.
	ContentType string
	// Data is the content.
	Data []byte
}

// ObjectInfo describes an enqueued object (without its bytes).
type ObjectInfo struct {
	Name        string `json:"name"`
	Key         string `json:"key"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// Pending is what Enqueue stores: one case and its evidence.
type Pending struct {
	// Label names the entry for people looking at the directory (the case
	// id); optional, sanitized and shortened in the entry id.
	Label string
	// Case is the case as JSON (required).
	Case []byte
	// Objects are the evidence objects.
	Objects []Object
}

// Entry is a queued case as loaded by Load, with its delivery state.
type Entry struct {
	// ID names the entry; ids sort by enqueue time.
	ID string
	// Enqueued is when Enqueue stored it.
	Enqueued time.Time
	// Case is the case JSON given to Enqueue.
	Case json.RawMessage
	// Objects describe the evidence objects, in Enqueue order.
	Objects []ObjectInfo
	// Stored maps an object's Name to where it was stored (MarkStored).
	Stored map[string]evidence.Stored
	// Message is the final message (SetMessage); nil until set.
	Message []byte

	stateSize, msgSize int64
}

// entryFile is entry.json.
type entryFile struct {
	Version  int             `json:"version"`
	ID       string          `json:"id"`
	Label    string          `json:"label,omitempty"`
	Enqueued time.Time       `json:"enqueued"`
	Case     json.RawMessage `json:"case"`
	Objects  []ObjectInfo    `json:"objects"`
}

// stateFile is state.json.
type stateFile struct {
	Stored map[string]evidence.Stored `json:"stored"`
}

var (
	nameRE  = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$`)
	labelRE = regexp.MustCompile(`[^A-Za-z0-9._-]+`)
	counter atomic.Uint64
)

// Enqueue stores p durably and returns its id: when it returns nil, every
// file of the entry and its name in the directory are fsynced. It returns an
// error wrapping ErrFull, and stores nothing, when the entry would take the
// queue beyond MaxBytes.
func (o *Outbox) Enqueue(p Pending) (string, error) {
	if !json.Valid(p.Case) {
		return "", errors.New("outbox: case is not valid JSON")
	}
	label := labelRE.ReplaceAllString(p.Label, "_")
	label = label[:min(len(label), 100)]
	now := o.now()
	id := fmt.Sprintf("%019d-%06d", now.UnixNano(), counter.Add(1)%1e6)
	if label != "" {
		id += "-" + label
	}
	ef := entryFile{Version: 1, ID: id, Label: p.Label, Enqueued: now.UTC(), Case: p.Case}
	size := int64(0)
	seen := map[string]bool{}
	for _, obj := range p.Objects {
		if !nameRE.MatchString(obj.Name) || seen[obj.Name] {
			return "", fmt.Errorf("outbox: object name %q invalid or repeated", obj.Name)
		}
		seen[obj.Name] = true
		sum := sha256.Sum256(obj.Data)
		ef.Objects = append(ef.Objects, ObjectInfo{Name: obj.Name, Key: obj.Key, ContentType: obj.ContentType,
			Size: int64(len(obj.Data)), SHA256: hex.EncodeToString(sum[:])})
		size += int64(len(obj.Data))
	}
	ej, err := json.Marshal(ef)
	if err != nil {
		return "", fmt.Errorf("outbox: %w", err)
	}
	size += int64(len(ej))

	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return "", ErrClosed
	}
	if used := o.bytes + o.resv; used+size > o.cfg.MaxBytes {
		o.st.Refused++
		n := len(o.index)
		o.mu.Unlock()
		return "", fmt.Errorf("%w: %s: entry of %d bytes refused, %d of %d bytes in use by %d entries (%s)",
			ErrFull, o.cfg.Dir, size, used, o.cfg.MaxBytes, n, p.Label)
	}
	o.resv += size
	o.mu.Unlock()

	err = o.write(id, ej, p.Objects)

	o.mu.Lock()
	o.resv -= size
	if err == nil {
		o.index[id] = &meta{bytes: size, enqueued: now}
		o.bytes += size
		o.st.Enqueued++
		o.checkWarn()
	}
	o.mu.Unlock()
	if err != nil {
		return "", err
	}
	o.signal()
	return id, nil
}

// write creates the entry in tmp-<id>, fsyncs it, and renames it into place.
func (o *Outbox) write(id string, ej []byte, objs []Object) error {
	tmp := filepath.Join(o.cfg.Dir, "tmp-"+id)
	err := func() error {
		if err := os.MkdirAll(filepath.Join(tmp, "objects"), 0o755); err != nil {
			return err
		}
		for _, obj := range objs {
			if err := writeFileSync(filepath.Join(tmp, "objects", obj.Name), obj.Data); err != nil {
				return err
			}
		}
		if err := writeFileSync(filepath.Join(tmp, "entry.json"), ej); err != nil {
			return err
		}
		if err := syncDir(filepath.Join(tmp, "objects")); err != nil {
			return err
		}
		if err := syncDir(tmp); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(o.cfg.Dir, id)); err != nil {
			return err
		}
		return syncDir(o.cfg.Dir)
	}()
	if err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("outbox: enqueue %s: %w", id, err)
	}
	return nil
}

// readEntryFile reads and checks dir/entry.json.
func readEntryFile(dir string) (*entryFile, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "entry.json"))
	if err != nil {
		return nil, err
	}
	var ef entryFile
	if err := json.Unmarshal(raw, &ef); err != nil {
		return nil, fmt.Errorf("%w: entry.json: %w", ErrCorrupt, err)
	}
	if ef.Version != 1 || ef.ID == "" || len(ef.Case) == 0 {
		return nil, fmt.Errorf("%w: entry.json: version %d, id %q", ErrCorrupt, ef.Version, ef.ID)
	}
	return &ef, nil
}

// Load reads entry id with its delivery state.
func (o *Outbox) Load(id string) (*Entry, error) {
	dir := filepath.Join(o.cfg.Dir, id)
	ef, err := readEntryFile(dir)
	if err != nil {
		return nil, fmt.Errorf("outbox: entry %s: %w", id, err)
	}
	e := &Entry{ID: id, Enqueued: ef.Enqueued, Case: ef.Case, Objects: ef.Objects, Stored: map[string]evidence.Stored{}}
	if raw, err := os.ReadFile(filepath.Join(dir, "state.json")); err == nil {
		var sf stateFile
		if err := json.Unmarshal(raw, &sf); err != nil {
			return nil, fmt.Errorf("outbox: entry %s: %w: state.json: %w", id, ErrCorrupt, err)
		}
		for k, v := range sf.Stored {
			e.Stored[k] = v
		}
		e.stateSize = int64(len(raw))
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("outbox: entry %s: %w", id, err)
	}
	if raw, err := os.ReadFile(filepath.Join(dir, "message.json")); err == nil {
		e.Message, e.msgSize = raw, int64(len(raw))
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("outbox: entry %s: %w", id, err)
	}
	return e, nil
}

// ReadObject returns the bytes of object name of e, checked against the
// size and SHA-256 recorded at Enqueue (ErrCorrupt otherwise).
func (o *Outbox) ReadObject(e *Entry, name string) ([]byte, error) {
	for _, info := range e.Objects {
		if info.Name != name {
			continue
		}
		data, err := os.ReadFile(filepath.Join(o.cfg.Dir, e.ID, "objects", name))
		if err != nil {
			return nil, fmt.Errorf("outbox: entry %s: %w: %w", e.ID, ErrCorrupt, err)
		}
		sum := sha256.Sum256(data)
		if int64(len(data)) != info.Size || hex.EncodeToString(sum[:]) != info.SHA256 {
			return nil, fmt.Errorf("outbox: entry %s: %w: object %s does not match its sha256", e.ID, ErrCorrupt, name)
		}
		return data, nil
	}
	return nil, fmt.Errorf("outbox: entry %s has no object %q", e.ID, name)
}
