package outbox

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/patrol-city/patrol/internal/publisher/evidence"
)

func pending(label string, n int) Pending {
	return Pending{Label: label, Case: []byte(`{"case_id":"` + label + `"}`), Objects: []Object{
		{Name: "clip.mp4", Key: "cam/" + label + "/clip.mp4", ContentType: "video/mp4", Data: bytes.Repeat([]byte{1}, n)},
		{Name: "snapshot.jpg", Key: "cam/" + label + "/snapshot.jpg", ContentType: "image/jpeg", Data: []byte(label)},
	}}
}

// logBuf collects log output for assertions.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}
func (l *logBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.buf.String() }

func open(t *testing.T, cfg Config, w *logBuf) *Outbox {
	t.Helper()
	o, err := New(cfg, Deps{Logger: slog.New(slog.NewTextHandler(w, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestRecoverAfterReopen: entries and their delivery state survive a reopen,
// unfinished enqueues and deletions are cleaned up, order is kept.
func TestRecoverAfterReopen(t *testing.T) {
	dir := t.TempDir()
	var lb logBuf
	o := open(t, Config{Dir: dir}, &lb)
	if _, err := New(Config{Dir: dir}, Deps{}); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("second New on a locked dir: %v", err)
	}
	var ids []string
	for _, l := range []string{"a", "b/c", "d"} {
		id, err := o.Enqueue(pending(l, 1000))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	e, err := o.Load(ids[0])
	if err != nil {
		t.Fatal(err)
	}
	st := evidence.Stored{Bucket: "b", Key: e.Objects[0].Key, SHA256: e.Objects[0].SHA256, Size: 1000}
	if err := o.MarkStored(e, "clip.mp4", st); err != nil {
		t.Fatal(err)
	}
	if err := o.SetMessage(e, []byte(`{"m":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := o.Done(ids[1]); err != nil {
		t.Fatal(err)
	}
	before := o.Stats()
	o.Close()
	// Leftovers of a crash in the middle of Enqueue and of Done.
	for _, d := range []string{"tmp-x", "del-y"} {
		if err := os.MkdirAll(filepath.Join(dir, d, "objects"), 0o755); err != nil {
			t.Fatal(err)
		}
	}

	o = open(t, Config{Dir: dir}, &lb)
	defer o.Close()
	if got := o.List(); len(got) != 2 || got[0] != ids[0] || got[1] != ids[2] {
		t.Fatalf("List after reopen = %v, want [%s %s]", got, ids[0], ids[2])
	}
	s := o.Stats()
	if s.Entries != 2 || s.Bytes != before.Bytes || s.Recovered != 2 || s.Oldest.IsZero() {
		t.Fatalf("stats after reopen %+v, before %+v", s, before)
	}
	e, err = o.Load(ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if e.Stored["clip.mp4"] != st || string(e.Message) != `{"m":1}` || string(e.Case) != `{"case_id":"a"}` {
		t.Fatalf("state not recovered: %+v", e)
	}
	data, err := o.ReadObject(e, "snapshot.jpg")
	if err != nil || string(data) != "a" {
		t.Fatalf("ReadObject = %q, %v", data, err)
	}
	for _, d := range []string{"tmp-x", "del-y"} {
		if _, err := os.Stat(filepath.Join(dir, d)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s not cleaned up: %v", d, err)
		}
	}
}

// TestFull: at the bound Enqueue refuses with a counted ErrFull, the queued
// entries stay intact, and one warning is logged when crossing WarnFraction.
func TestFull(t *testing.T) {
	var lb logBuf
	o := open(t, Config{Dir: t.TempDir(), MaxBytes: 10_000, WarnFraction: 0.5}, &lb)
	defer o.Close()
	var ids []string
	for i := 0; ; i++ {
		id, err := o.Enqueue(pending(string(rune('a'+i)), 2000))
		if errors.Is(err, ErrFull) {
			if !strings.Contains(err.Error(), "refused") {
				t.Errorf("unclear error: %v", err)
			}
			break
		}
		if err != nil || i > 10 {
			t.Fatalf("enqueue %d: %v", i, err)
		}
		ids = append(ids, id)
	}
	if _, err := o.Enqueue(pending("z", 2000)); !errors.Is(err, ErrFull) {
		t.Fatalf("second refusal: %v", err)
	}
	s := o.Stats()
	if len(ids) != 4 || s.Refused != 2 || s.Entries != 4 || s.Bytes > s.MaxBytes {
		t.Fatalf("%d accepted, stats %+v", len(ids), s)
	}
	if n := strings.Count(lb.String(), "nearly full"); n != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", n, lb.String())
	}
	for _, id := range ids {
		e, err := o.Load(id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := o.ReadObject(e, "clip.mp4"); err != nil {
			t.Fatalf("queued entry damaged: %v", err)
		}
	}
	for _, id := range ids {
		if err := o.Done(id); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(lb.String(), "below the warning level") {
		t.Errorf("warning not re-armed:\n%s", lb.String())
	}
	if _, err := o.Enqueue(pending("y", 2000)); err != nil {
		t.Fatalf("enqueue after draining: %v", err)
	}
}

// TestCorrupt: an object whose bytes changed on disk is reported as
// ErrCorrupt, and an unreadable entry is set aside at start-up.
func TestCorrupt(t *testing.T) {
	dir := t.TempDir()
	var lb logBuf
	o := open(t, Config{Dir: dir}, &lb)
	id, err := o.Enqueue(pending("a", 10))
	if err != nil {
		t.Fatal(err)
	}
	id2, err := o.Enqueue(pending("b", 10))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, id, "objects", "clip.mp4"), []byte("changed!!!"), 0o644); err != nil {
		t.Fatal(err)
	}
	e, _ := o.Load(id)
	if _, err := o.ReadObject(e, "clip.mp4"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("ReadObject of changed bytes: %v", err)
	}
	if err := o.Quarantine(id, errors.New("test")); err != nil {
		t.Fatal(err)
	}
	o.Close()
	if err := os.WriteFile(filepath.Join(dir, id2, "entry.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	o = open(t, Config{Dir: dir}, &lb)
	defer o.Close()
	if s := o.Stats(); s.Entries != 0 || s.Quarantined != 1 {
		t.Fatalf("stats %+v", s)
	}
	for _, d := range []string{"bad-" + id, "bad-" + id2} {
		if _, err := os.Stat(filepath.Join(dir, d)); err != nil {
			t.Errorf("%s: %v", d, err)
		}
	}
}

func TestConfig(t *testing.T) {
	for _, cfg := range []Config{{}, {Dir: t.TempDir(), MaxBytes: -1}, {Dir: t.TempDir(), WarnFraction: 2}} {
		if _, err := New(cfg, Deps{}); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	o, err := New(Config{Dir: filepath.Join(t.TempDir(), "new", "dir")}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if s := o.Stats(); s.MaxBytes != DefaultMaxBytes {
		t.Fatalf("default MaxBytes %d", s.MaxBytes)
	}
	if _, err := o.Enqueue(Pending{Case: []byte("{"), Objects: nil}); err == nil {
		t.Error("invalid JSON accepted")
	}
	p := pending("a", 1)
	p.Objects[1].Name = "../x"
	if _, err := o.Enqueue(p); err == nil {
		t.Error("bad object name accepted")
	}
}
