package publisher

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/ingest/av"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher/broker"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/publisher/outbox"
)

// fakeClips returns the same encoded second of video for every range.
type fakeClips struct {
	params media.Params
	units  []media.AccessUnit
}

func (f *fakeClips) Range(from, to time.Time) (media.Params, []media.AccessUnit) {
	return f.params, f.units
}

func encodeClips(t *testing.T) *fakeClips {
	t.Helper()
	enc, err := av.NewEncoder(av.EncoderConfig{Codec: media.H264, Width: 64, Height: 48, FPS: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	f := &fakeClips{params: media.Params{Codec: media.H264}}
	t0 := time.Now().Add(-time.Minute)
	for i := range 10 {
		nalus, key, err := enc.Encode(flatImage(64, 48))
		if err != nil {
			t.Fatal(err)
		}
		f.units = append(f.units, media.AccessUnit{PTS: time.Duration(i) * 100 * time.Millisecond,
			Recv: t0.Add(time.Duration(i) * 100 * time.Millisecond), NALUs: nalus, Key: key})
	}
	return f
}

func candidate(clips ClipSource, i int) Candidate {
	confirmed := time.Now().Add(-10 * time.Second)
	return Candidate{
		Rule:   cases.Rule{ID: "illegal-parking", Kind: "stationary", Code: "0505", Name: "机动车乱停放"},
		Camera: cases.Camera{ID: "cam-1", Name: "test"}, ZoneID: "z", TrackID: uint64(i),
		FirstSeen: confirmed.Add(-30 * time.Second), ConfirmedAt: confirmed,
		Objects: []cases.Object{{TrackID: uint64(i), Label: "car", Score: 0.9, Box: [4]float64{0.1, 0.1, 0.2, 0.2}}},
		Frame:   *flatImage(64, 48), Clips: clips,
	}
}

// fakeStore stores in memory; it fails while down is set and counts Puts.
type fakeStore struct {
	mu   sync.Mutex
	objs map[string][]byte
	down atomic.Bool
	bad  atomic.Bool // every Put fails with ErrInvalidKey
	puts atomic.Int64
	gate chan struct{} // when non-nil, Put waits for it
}

func (s *fakeStore) Bucket() string { return "b" }
func (s *fakeStore) Put(ctx context.Context, o evidence.Object) (evidence.Stored, error) {
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return evidence.Stored{}, ctx.Err()
		}
	}
	if s.down.Load() {
		return evidence.Stored{}, errors.New("connection refused")
	}
	if s.bad.Load() {
		return evidence.Stored{}, fmt.Errorf("%w: test", evidence.ErrInvalidKey)
	}
	s.puts.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.objs == nil {
		s.objs = map[string][]byte{}
	}
	s.objs[o.Key] = o.Data
	return evidence.Stored{Bucket: "b", Key: o.Key, SHA256: sha(o.Data), Size: int64(len(o.Data)), ContentType: o.ContentType}, nil
}

// fakeWriter records messages; it fails while down is set.
type fakeWriter struct {
	mu   sync.Mutex
	msgs []broker.Message
	down atomic.Bool
}

func (w *fakeWriter) WriteCase(ctx context.Context, key string, value []byte) error {
	return w.WriteMessage(ctx, broker.Message{Key: key, Value: value})
}
func (w *fakeWriter) WriteMessage(_ context.Context, m broker.Message) error {
	if w.down.Load() {
		return errors.New("broker down")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, m)
	return nil
}
func (w *fakeWriter) all() []broker.Message {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]broker.Message(nil), w.msgs...)
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func newPub(t *testing.T, dir string, max int64, s *fakeStore, w *fakeWriter, hook func(string, string)) *Publisher {
	t.Helper()
	p, err := New(Config{Worker: "w1", Model: cases.Model{Name: "yolox_nano", SHA256: sha(nil)}, RetryBase: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond, DrainTimeout: 2 * time.Second,
		Outbox: outbox.Config{Dir: dir, MaxBytes: max}},
		Deps{Store: s, Cases: w, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Hook: hook})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.Run(context.Background()) }()
	return p
}

func waitEmpty(t *testing.T, p *Publisher) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); p.Stats().Outbox.Entries > 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("outbox not emptied: %+v", p.Stats())
		}
	}
}

// checkMessage validates a published message and its CloudEvents attributes.
func checkMessage(t *testing.T, m broker.Message, s *fakeStore) *wireCase {
	t.Helper()
	if err := cases.ValidateCaseJSON(m.Value); err != nil {
		t.Fatal(err)
	}
	w := &wireCase{Case: &cases.Case{}}
	if err := json.Unmarshal(m.Value, w); err != nil {
		t.Fatal(err)
	}
	if w.Seq != 1 || m.ID != w.CaseID+":1" || m.Type != "patrol.case.opened" || m.Source != "/patrol/workers/w1" ||
		m.Subject != w.CaseID || !m.Time.Equal(w.ConfirmedAt) || m.Key != "cam-1" {
		t.Fatalf("attributes %+v of case %s seq %d", m, w.CaseID, w.Seq)
	}
	for _, ev := range w.Evidence {
		s.mu.Lock()
		data := s.objs[ev.Key]
		s.mu.Unlock()
		if data == nil || sha(data) != ev.SHA256 || int64(len(data)) != ev.Size {
			t.Fatalf("evidence %s missing or different", ev.Key)
		}
	}
	return w
}

// TestOutboxRetries: while the store and then the broker fail, cases wait in
// the outbox; every case is published once, after its evidence, oldest first.
func TestOutboxRetries(t *testing.T) {
	t.Parallel()
	clips := encodeClips(t)
	s, w := &fakeStore{}, &fakeWriter{}
	s.down.Store(true)
	w.down.Store(true)
	p := newPub(t, t.TempDir(), 0, s, w, nil)
	defer p.Close()
	for i := range 3 {
		if err := p.Accept(candidate(clips, i)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if st := p.Stats(); st.Outbox.Entries != 3 || st.Published != 0 || st.Retries == 0 || s.puts.Load() != 0 {
		t.Fatalf("stats while down %+v", st)
	}
	s.down.Store(false)
	// Evidence is uploaded while the broker is still down.
	for deadline := time.Now().Add(5 * time.Second); p.Stats().Staged < 3; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not staged: %+v", p.Stats())
		}
	}
	// Every case has the same evidence pack (at least clip, two snapshots
	// and the manifest).
	puts := s.puts.Load()
	if n := len(w.all()); n != 0 || puts%3 != 0 || puts < 12 {
		t.Fatalf("%d published, %d puts, want 0 and the same pack of >= 4 objects per case", n, puts)
	}
	w.down.Store(false)
	waitEmpty(t, p)
	msgs := w.all()
	if len(msgs) != 3 || s.puts.Load() != puts {
		t.Fatalf("%d messages, %d puts", len(msgs), s.puts.Load())
	}
	for i, m := range msgs {
		if c := checkMessage(t, m, s); c.Objects[0].TrackID != uint64(i) {
			t.Fatalf("message %d is track %d: not oldest first", i, c.Objects[0].TrackID)
		}
	}
}

// TestOutboxResume: a publisher stopped before it could publish leaves the
// case with its stored evidence and final message; the next one publishes
// that message without uploading again.
func TestOutboxResume(t *testing.T) {
	t.Parallel()
	clips, dir := encodeClips(t), t.TempDir()
	s, w := &fakeStore{}, &fakeWriter{}
	w.down.Store(true)
	p := newPub(t, dir, 0, s, w, nil)
	if err := p.Accept(candidate(clips, 1)); err != nil {
		t.Fatal(err)
	}
	p.Close() // gives up after DrainTimeout
	before := s.puts.Load()
	if before < 4 {
		t.Fatalf("%d puts before restart", before)
	}
	var stages []string
	w.down.Store(false)
	p = newPub(t, dir, 0, s, w, func(stage, _ string) { stages = append(stages, stage) })
	waitEmpty(t, p)
	p.Close()
	msgs := w.all()
	if len(msgs) != 1 || s.puts.Load() != before || fmt.Sprint(stages) != "[stored published]" {
		t.Fatalf("%d messages, %d puts, stages %v", len(msgs), s.puts.Load(), stages)
	}
	checkMessage(t, msgs[0], s)
}

// TestOutboxFull: at the byte bound Accept refuses with a counted ErrFull;
// the queued cases are delivered afterwards.
func TestOutboxFull(t *testing.T) {
	t.Parallel()
	clips := encodeClips(t)
	s, w := &fakeStore{gate: make(chan struct{})}, &fakeWriter{}
	p := newPub(t, t.TempDir(), 40_000, s, w, nil)
	defer p.Close()
	accepted := 0
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		if err = p.Accept(candidate(clips, i)); err == nil {
			accepted++
		}
	}
	if !errors.Is(err, outbox.ErrFull) || accepted == 0 || p.Stats().Outbox.Refused != 1 {
		t.Fatalf("after %d accepted: %v, stats %+v", accepted, err, p.Stats())
	}
	close(s.gate)
	waitEmpty(t, p)
	if n := len(w.all()); n != accepted {
		t.Fatalf("%d published, %d accepted", n, accepted)
	}
	for _, m := range w.all() {
		checkMessage(t, m, s)
	}
}

// TestOutboxPermanent: an entry that can never be stored is set aside and
// does not block the next one.
func TestOutboxPermanent(t *testing.T) {
	t.Parallel()
	clips := encodeClips(t)
	s, w := &fakeStore{}, &fakeWriter{}
	s.bad.Store(true)
	p := newPub(t, t.TempDir(), 0, s, w, nil)
	defer p.Close()
	if err := p.Accept(candidate(clips, 1)); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); p.Stats().Outbox.Quarantined == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not set aside: %+v", p.Stats())
		}
	}
	s.bad.Store(false)
	if err := p.Accept(candidate(clips, 2)); err != nil {
		t.Fatal(err)
	}
	waitEmpty(t, p)
	if msgs := w.all(); len(msgs) != 1 {
		t.Fatalf("%d published", len(msgs))
	}
}

// flatImage is a mid-grey w x h picture.
func flatImage(w, h int) *media.Image {
	return &media.Image{Width: w, Height: h, BGR: bytes.Repeat([]byte{128}, w*h*3)}
}
