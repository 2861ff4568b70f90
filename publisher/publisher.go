package publisher

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/evidence"
	"github.com/patrol-city/patrol/media"
)

// ClipSource returns compressed history; ingest.Ring implements it.
type ClipSource interface {
	Range(from, to time.Time) (media.Params, []media.AccessUnit)
}

// CaseWriter publishes one case message; KafkaWriter implements it.
type CaseWriter interface {
	WriteCase(ctx context.Context, key string, value []byte) error
}

// Config configures a Publisher.
type Config struct {
	// Worker names this worker in cases (required).
	Worker string
	// PreRoll is the clip length before confirmation (default 10s).
	PreRoll time.Duration
	// PostRoll is the clip length after confirmation (default 5s).
	PostRoll time.Duration
	// Model identifies the detector in cases.
	Model cases.Model
	// RetryBase is the first retry delay of uploads and publishes (default 1s).
	RetryBase time.Duration
	// RetryMax caps the retry delay (default 30s).
	RetryMax time.Duration
	// DrainTimeout bounds how long Close waits for cases in flight (default 30s).
	DrainTimeout time.Duration
}

// Deps are the Publisher's collaborators.
type Deps struct {
	// Store keeps evidence objects (required).
	Store evidence.Store
	// Cases publishes case messages (required).
	Cases CaseWriter
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
	// OnPublished is told about every published case (optional).
	OnPublished func(c *cases.Case)
}

// Candidate is a fired rule waiting for its evidence.
type Candidate struct {
	Rule        cases.Rule
	Camera      cases.Camera
	ZoneID      string
	Zone        [][2]float64
	TrackID     uint64
	FirstSeen   time.Time
	ConfirmedAt time.Time
	Objects     []cases.Object
	// Frame is the picture at confirmation; Boxes are drawn on its snapshot.
	Frame media.Image
	Boxes []image.Rectangle
	Clips ClipSource
}

// Publisher turns candidates into stored evidence and a published case.
// Evidence is uploaded first; the case is published only after every upload
// succeeded. Uploads and publishes are retried with backoff until Close.
type Publisher struct {
	cfg    Config
	deps   Deps
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New validates the configuration and returns a running Publisher.
func New(cfg Config, deps Deps) (*Publisher, error) {
	if cfg.Worker == "" {
		return nil, errors.New("publisher: worker name required")
	}
	if deps.Store == nil || deps.Cases == nil {
		return nil, errors.New("publisher: store and case writer required")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&cfg.PreRoll, 10*time.Second)
	def(&cfg.PostRoll, 5*time.Second)
	def(&cfg.RetryBase, time.Second)
	def(&cfg.RetryMax, 30*time.Second)
	def(&cfg.DrainTimeout, 30*time.Second)
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	p := &Publisher{cfg: cfg, deps: deps, log: deps.Logger}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return p, nil
}

// Submit hands a candidate over; it returns at once. The case is published
// after the post-roll has been recorded.
func (p *Publisher) Submit(c Candidate) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		if err := p.handle(c); err != nil {
			p.log.Error("case not published", "camera", c.Camera.ID, "rule", c.Rule.ID, "err", err)
		}
	}()
}

// Close stops waiting for post-rolls, publishes what is in flight (bounded by
// DrainTimeout) and returns when every case goroutine has ended.
func (p *Publisher) Close() {
	time.AfterFunc(p.cfg.DrainTimeout, p.cancel)
	p.wg.Wait()
	p.cancel()
}

func (p *Publisher) handle(c Candidate) error {
	wait := c.ConfirmedAt.Add(p.cfg.PostRoll).Sub(p.deps.Now())
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-p.ctx.Done():
			t.Stop()
		}
	}
	cs := &cases.Case{
		SchemaVersion: cases.SchemaVersion,
		CaseID:        cases.ID(c.Camera.ID, c.Rule.ID, c.ZoneID, c.TrackID, c.FirstSeen),
		Event:         cases.EventOpened,
		Worker:        p.cfg.Worker,
		Rule:          c.Rule,
		Camera:        c.Camera,
		ZoneID:        c.ZoneID,
		FirstSeen:     c.FirstSeen.UTC(),
		ConfirmedAt:   c.ConfirmedAt.UTC(),
		DwellS:        c.ConfirmedAt.Sub(c.FirstSeen).Seconds(),
		Objects:       c.Objects,
		Model:         p.cfg.Model,
	}
	prefix := fmt.Sprintf("%s/%s/%s/", c.Camera.ID, c.ConfirmedAt.UTC().Format("2006/01/02"), cs.CaseID)

	params, units := c.Clips.Range(c.ConfirmedAt.Add(-p.cfg.PreRoll), c.ConfirmedAt.Add(p.cfg.PostRoll))
	var clip bytes.Buffer
	if _, err := WriteClip(&clip, params, units); err != nil {
		return fmt.Errorf("case %s: clip: %w", cs.CaseID, err)
	}
	start, end := units[0].Recv.UTC(), units[len(units)-1].Recv.UTC()
	boxes := make([]Box, len(c.Boxes))
	for i, b := range c.Boxes {
		o := c.Objects[min(i, len(c.Objects)-1)]
		boxes[i] = Box{Label: o.Label, Score: float32(o.Score), Rect: b, Color: color.RGBA{R: 255, A: 255}}
	}
	snap, err := Snapshot(&c.Frame, boxes, c.Zone)
	if err != nil {
		return fmt.Errorf("case %s: snapshot: %w", cs.CaseID, err)
	}
	objs := []struct {
		kind, name, ctype string
		data              []byte
	}{
		{"clip", "clip.mp4", "video/mp4", clip.Bytes()},
		{"snapshot", "snapshot.jpg", "image/jpeg", snap},
	}
	for _, o := range objs {
		var st evidence.Stored
		err := p.retry(func(ctx context.Context) error {
			var err error
			st, err = p.deps.Store.Put(ctx, evidence.Object{Key: prefix + o.name, ContentType: o.ctype, Data: o.data})
			return err
		})
		if err != nil {
			return fmt.Errorf("case %s: store %s: %w", cs.CaseID, o.name, err)
		}
		ev := cases.Evidence{Kind: o.kind, Bucket: st.Bucket, Key: st.Key, SHA256: st.SHA256, Size: st.Size, ContentType: o.ctype}
		if o.kind == "clip" {
			ev.Start, ev.End = &start, &end
		}
		cs.Evidence = append(cs.Evidence, ev)
	}
	cs.PublishedAt = p.deps.Now().UTC()
	if err := cs.Validate(); err != nil {
		return err
	}
	msg, err := json.Marshal(cs)
	if err != nil {
		return fmt.Errorf("case %s: encode: %w", cs.CaseID, err)
	}
	if err := p.retry(func(ctx context.Context) error { return p.deps.Cases.WriteCase(ctx, c.Camera.ID, msg) }); err != nil {
		return fmt.Errorf("case %s: publish: %w", cs.CaseID, err)
	}
	p.log.Info("case published", "camera", c.Camera.ID, "case", cs.CaseID, "rule", c.Rule.ID,
		"dwell_s", int(cs.DwellS), "after_confirm", p.deps.Now().Sub(c.ConfirmedAt).Round(time.Millisecond))
	if p.deps.OnPublished != nil {
		p.deps.OnPublished(cs)
	}
	return nil
}

// retry runs op until it succeeds or the publisher is closed, backing off
// exponentially with jitter.
func (p *Publisher) retry(op func(ctx context.Context) error) error {
	delay := p.cfg.RetryBase
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
		err := op(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if p.ctx.Err() != nil {
			return err
		}
		p.log.Warn("retrying", "attempt", attempt, "in", delay, "err", err)
		j := time.Duration(rand.Int64N(int64(delay)/2 + 1))
		select {
		case <-time.After(delay/2 + j):
		case <-p.ctx.Done():
			return err
		}
		delay = min(delay*2, p.cfg.RetryMax)
	}
}
