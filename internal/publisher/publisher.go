package publisher

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/publisher/outbox"
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
	// DrainTimeout bounds how long Close waits for post-rolls and for the
	// outbox to empty (default 30s).
	DrainTimeout time.Duration
	// Outbox is the durable queue a case is written to, with its evidence,
	// before upload and publish (MaxBytes default 1 GiB, WarnFraction 0.8).
	// An empty Outbox.Dir means a new temporary directory removed by
	// Close: cases are then retried while the process runs but are lost
	// with it. Set Dir for cases to survive a crash or restart.
	Outbox outbox.Config
	// PendingDir keeps each "opened" candidate on disk from Submit until
	// its case is in the outbox, so that a worker killed during the
	// post-roll completes the case at its next start (default empty: off).
	PendingDir string
}

// Delivery stages reported to Deps.Hook.
const (
	// HookStored: every evidence object of the case is stored and its final
	// message is in the outbox; it is about to be published.
	HookStored = "stored"
	// HookPublished: the broker acknowledged the case; its outbox entry is
	// about to be removed.
	HookPublished = "published"
)

// Deps are the Publisher's collaborators.
type Deps struct {
	// Store keeps evidence objects (required).
	Store evidence.Store
	// Cases publishes case messages (required). When it implements
	// broker.MessageWriter (KafkaWriter does), messages carry CloudEvents headers.
	Cases CaseWriter
	// Logger receives the log; nil is silent.
	Logger *slog.Logger
	// Now defaults to time.Now. With After it is the clock of the
	// post-roll: a replay passes the recording's clock (both or neither).
	Now func() time.Time
	// After defaults to time.After; it waits on Now's clock.
	After func(time.Duration) <-chan time.Time
	// OnPublished is told about every published case (optional).
	OnPublished func(c *cases.Case)
	// Hook, for fault tests, is called with a stage (HookStored,
	// HookPublished) and the case id as delivery passes it (optional).
	Hook func(stage, caseID string)
	// RecoveryClips returns a camera's history on disk, for the clips of
	// cases recovered from PendingDir (optional: without it they have
	// snapshots only).
	RecoveryClips func(cameraID string) ClipSource
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
	// Why explains the case (nil: an explanation with score_stat
	// "unknown" and the dwell is sent).
	Why *cases.Explanation
	// Severity is the rule's level reached at this event ("" none).
	Severity string
	// Plate is the subject vehicle's plate (nil: the rule reads none).
	Plate *cases.Plate
	// Warning is the correction window of a rule that warns first (nil:
	// none), on every event of its case.
	Warning *cases.Warning
	// Frame is the picture at confirmation; Boxes are drawn on its snapshot.
	Frame media.Image
	Boxes []image.Rectangle
	// Redacted is Frame with faces and the other vehicles' plates blurred
	// ("opened" only; nil: no redacted copy). It is stored beside the
	// snapshot as role "redacted" (not kept for a recovered case).
	Redacted *media.Image
	// Clips is the camera's history; required for "opened" (the clip).
	Clips ClipSource
	// Event is cases.EventOpened (default), EventUpdated, EventClosed,
	// EventWarning or EventWithdrawn. Events other than "opened" carry
	// only a fresh snapshot.
	Event string
	// CaseID of a later event (default for "opened": derived by cases.ID).
	CaseID string
	// Seq is the per-case sequence number (default 1).
	Seq int
	// At is when a later event happened (default ConfirmedAt).
	At time.Time
	// LastSeen is when the object was last seen (later events).
	LastSeen time.Time
	// Recovered marks an "opened" candidate completed after a restart
	// (from PendingDir): its clip comes from the history on disk and may
	// be short or missing.
	Recovered bool
	// partial is a recovered case's clip as recorded before the crash.
	partial *partialClip
}

// Stats counts what a Publisher did since New.
type Stats struct {
	// Outbox is the queue's depth, age and counters (Refused: cases
	// refused because the outbox was full).
	Outbox outbox.Stats
	// Published cases (acknowledged by the broker).
	Published uint64
	// Failed candidates: no evidence could be cut, or the outbox could not
	// be written for another reason than being full.
	Failed uint64
	// Retries of uploads and publishes.
	Retries uint64
	// Staged entries: evidence stored, waiting to be published.
	Staged int
	// Clipless counts cases published without a confirmation clip (the
	// camera's buffer held no picture around the confirmation).
	Clipless uint64
}

// Publisher turns candidates into evidence and published cases. Accept cuts
// the clip and snapshot and writes the case with them to the durable outbox.
// Two goroutines then work from the outbox, oldest entry first: the uploader
// stores every evidence object not stored yet (recording each in the outbox)
// and then builds the final message and keeps it in the outbox; the sender
// publishes the oldest entry once it is staged so (never before all its
// evidence is stored) and removes it. So evidence keeps being uploaded while
// the broker is down. Uploads and publishes are retried with exponential
// backoff and jitter until they succeed or Close gives up; what is left stays
// in the outbox and is resumed by the next Publisher on the same directory.
type Publisher struct {
	cfg    Config
	deps   Deps
	log    *slog.Logger
	ob     *outbox.Outbox
	tmpDir string

	acceptCtx, runCtx       context.Context
	cancelAccept, cancelRun context.CancelFunc

	mu        sync.Mutex
	closed    bool
	started   bool // Run was called
	accepting sync.WaitGroup
	closeOnce sync.Once
	drain     chan struct{} // closed by Close once nothing more is accepted
	upDone    chan struct{} // closed when the uploader ended
	done      chan struct{} // closed when the sender ended
	uploaded  chan struct{} // the uploader staged an entry (capacity 1)
	stagedMu  sync.Mutex
	staged    map[string]bool // entries whose evidence is stored and message built
	// opening holds, per case id, a channel closed once the case's
	// "opened" is in the outbox (or failed): later events of the case wait
	// for it, so seq 2 is never queued before seq 1.
	openMu  sync.Mutex
	opening map[string]chan struct{}
	// left holds the candidates a killed worker left pending, read by New
	// (before anything can be submitted, so a case saved by this process is
	// never taken for one left behind) and submitted by Run.
	left []Candidate

	published, failed, retries atomic.Uint64
	// clipless counts cases published without a confirmation clip.
	clipless atomic.Uint64
}

// New validates the configuration, opens the outbox (indexing the entries
// left in it) and reads the cases left pending in Config.PendingDir;
// nothing is delivered until Run.
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
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.After == nil {
		deps.After = time.After
	}
	p := &Publisher{cfg: cfg, deps: deps, log: deps.Logger, drain: make(chan struct{}), upDone: make(chan struct{}),
		done: make(chan struct{}), uploaded: make(chan struct{}, 1), staged: map[string]bool{},
		opening: map[string]chan struct{}{}}
	if cfg.Outbox.Dir == "" {
		dir, err := os.MkdirTemp("", "patrol-outbox-")
		if err != nil {
			return nil, fmt.Errorf("publisher: %w", err)
		}
		p.tmpDir, cfg.Outbox.Dir = dir, dir
		p.log.Info("outbox in a temporary directory: queued cases do not survive a restart", "dir", dir)
	}
	ob, err := outbox.New(cfg.Outbox, outbox.Deps{Logger: deps.Logger, Now: deps.Now})
	if err != nil {
		if p.tmpDir != "" {
			os.RemoveAll(p.tmpDir)
		}
		return nil, fmt.Errorf("publisher: %w", err)
	}
	p.ob = ob
	p.left = p.loadPending()
	p.acceptCtx, p.cancelAccept = context.WithCancel(context.Background())
	p.runCtx, p.cancelRun = context.WithCancel(context.Background())
	return p, nil
}

// Run delivers until Close: it starts the uploader and the sender,
// completes the cases a killed worker left pending (PendingDir), and
// returns once Close has drained the outbox (bounded by DrainTimeout) or
// ctx ended (a hard stop: queued cases stay on disk). Cases submitted or
// accepted before Run wait in the outbox. Run after Close, or twice, is an
// error.
func (p *Publisher) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.closed || p.started {
		p.mu.Unlock()
		return errors.New("publisher: Run after Close or called twice")
	}
	p.started = true
	p.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { p.cancelAccept(); p.cancelRun() })
	defer stop()
	go p.uploader()
	go p.sender()
	for _, c := range p.left {
		p.log.Warn("completing a case confirmed before the last stop (killed during its post-roll)", "camera", c.Camera.ID, "case", c.CaseID)
		p.Submit(c)
	}
	<-p.upDone
	<-p.done
	return nil
}

// Submit hands a candidate over; it returns at once. The case is accepted
// (written to the outbox) after the post-roll has been recorded; a case that
// cannot be accepted is logged and counted.
func (p *Publisher) Submit(c Candidate) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		p.log.Error("case not accepted: publisher closed", "camera", c.Camera.ID, "rule", c.Rule.ID)
		return
	}
	p.accepting.Add(1)
	id := caseIDOf(c)
	opened := c.Event == "" || c.Event == cases.EventOpened
	p.openMu.Lock()
	wait := p.opening[id]
	var mine chan struct{}
	if opened {
		mine = make(chan struct{})
		p.opening[id] = mine
	}
	p.openMu.Unlock()
	go func() {
		defer p.accepting.Done()
		if opened {
			defer func() {
				p.openMu.Lock()
				if p.opening[id] == mine {
					delete(p.opening, id)
				}
				p.openMu.Unlock()
				close(mine)
			}()
			if !c.Recovered {
				if err := p.savePending(c); err != nil {
					p.log.Error("opened case not recorded before its post-roll", "camera", c.Camera.ID, "case", id, "err", err)
				}
			}
		} else if wait != nil {
			<-wait // seq 1 first, whatever the update interval
		}
		if err := p.Accept(c); err != nil {
			p.log.Error("case not accepted", "camera", c.Camera.ID, "rule", c.Rule.ID, "err", err)
			return
		}
		if opened {
			p.dropPending(id)
		}
	}()
}

// Stats returns the publisher's counters and its outbox's depth and age.
func (p *Publisher) Stats() Stats {
	p.stagedMu.Lock()
	staged := len(p.staged)
	p.stagedMu.Unlock()
	return Stats{Outbox: p.ob.Stats(), Published: p.published.Load(), Failed: p.failed.Load(), Retries: p.retries.Load(), Staged: staged, Clipless: p.clipless.Load()}
}

// Close waits for the post-rolls of submitted candidates and for the outbox
// to empty, both bounded by DrainTimeout, then stops delivering. Cases still
// in a configured outbox directory are delivered after the next start.
func (p *Publisher) Close() {
	p.closeOnce.Do(func() {
		deadline := time.AfterFunc(p.cfg.DrainTimeout, func() { p.cancelAccept(); p.cancelRun() })
		p.mu.Lock()
		p.closed = true
		started := p.started
		p.mu.Unlock()
		p.accepting.Wait()
		close(p.drain)
		if started {
			<-p.upDone
			<-p.done
		}
		deadline.Stop()
		p.cancelAccept()
		p.cancelRun()
		st := p.ob.Stats()
		switch {
		case st.Entries > 0 && p.tmpDir != "":
			p.log.Error("cases not delivered and lost with the temporary outbox", "cases", st.Entries)
		case st.Entries > 0:
			p.log.Warn("cases left in the outbox; they are delivered after the next start", "cases", st.Entries, "dir", p.ob.Dir())
		}
		if err := p.ob.Close(); err != nil {
			p.log.Warn("outbox close", "err", err)
		}
		if p.tmpDir != "" {
			os.RemoveAll(p.tmpDir)
		}
	})
}
