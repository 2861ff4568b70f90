package ingest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patrol-city/patrol/internal/backoff"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/media"
)

// Decoder turns access units into pictures. av.Decoder implements it.
type Decoder interface {
	// Decode returns (nil, nil) when no picture is ready yet.
	Decode(nalus [][]byte) (*media.Image, error)
	Close()
}

// IntraDecoder is a Decoder that can also decode a key unit on its own and
// return its picture at once, whatever the stream's reorder delay (used
// for key-only decoding). av.Decoder implements it.
type IntraDecoder interface {
	Decoder
	// DecodeIntra decodes one key unit and drains the decoder.
	DecodeIntra(nalus [][]byte) (*media.Image, error)
}

// Scaler is a Decoder that can scale its pictures down while converting
// them. av.Decoder implements it.
type Scaler interface {
	// SetMaxSize makes pictures fit in w x h, the aspect ratio kept.
	SetMaxSize(w, h int)
}

// Config configures one camera.
type Config struct {
	// CameraID names the camera in logs and metrics (required).
	CameraID string
	// URL is the rtsp:// or rtsps:// address (required).
	URL string
	// Transport is "tcp" (default), "udp" or "auto".
	Transport string
	// TLS configures rtsps:// connections (default: system roots).
	TLS *tls.Config
	// DetectInterval is the time between pictures handed to detection
	// (default 1s).
	DetectInterval time.Duration
	// BufferDuration bounds the ring buffer in time (default 60s).
	BufferDuration time.Duration
	// BufferBytes bounds the ring buffer in bytes (default 32 MiB).
	BufferBytes int64
	// BackoffBase is the first reconnect delay (default 1s).
	BackoffBase time.Duration
	// BackoffMax caps the reconnect delay (default 30s).
	BackoffMax time.Duration
	// OfflineAfter is the number of failed attempts in a row after which the
	// camera is reported offline (default 3).
	OfflineAfter int
	// ReadTimeout bounds each RTSP read (default 10s).
	ReadTimeout time.Duration
	// StallTimeout reconnects when no access unit arrives for this long
	// (default 10s).
	StallTimeout time.Duration
	// DecodeMode is "auto" (default: only the units the sampling needs, see
	// sampler: key frames alone when the GOP is within the detection
	// interval, else each GOP up to its last sample point), "keyframes",
	// "all" or "none" (no decoding: the ring and history only, for a main
	// stream whose pictures are analysed from a sub-stream; FullPicture
	// still decodes on demand).
	DecodeMode string
	// HistoryRoot keeps the stream on disk beyond the ring buffer, in the
	// directory HistoryRoot/CameraID (default empty: no history). The camera
	// id must be a plain path element (config validates it).
	HistoryRoot string
	// HistoryDuration bounds the history in time (default 10m).
	HistoryDuration time.Duration
	// HistoryBytes bounds the history in bytes (default 256 MiB).
	HistoryBytes int64
	// MaxPixels rejects streams announcing larger pictures (default 3840x2160).
	MaxPixels int
	// DecodeQueue is the number of access units waiting for the decoder before
	// new ones are dropped (default 64).
	DecodeQueue int
	// AnalysisSize, when > 0, has the decoder deliver pictures scaled down
	// to fit in AnalysisSize x AnalysisSize (for example the detector's
	// input side) in its colour-conversion pass, when the decoder is a
	// Scaler; FullPicture decodes a full-resolution picture when one is
	// needed. Default 0: native size.
	AnalysisSize int
	// SourceLead bounds how far a camera with a Source is read ahead of
	// its decoder, in stream time (default DefaultSourceLead).
	SourceLead time.Duration
	// DecodeTimeout is the watchdog's bound on one decode call (default
	// 5s; a 4K picture decodes in well under 100 ms): a call that takes
	// longer marks the camera's decoder stuck and replaces it.
	DecodeTimeout time.Duration
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if c.Transport == "" {
		c.Transport = "tcp"
	}
	def(&c.DetectInterval, time.Second)
	def(&c.BufferDuration, 60*time.Second)
	def(&c.BackoffBase, time.Second)
	def(&c.BackoffMax, 30*time.Second)
	def(&c.ReadTimeout, 10*time.Second)
	def(&c.StallTimeout, 10*time.Second)
	def(&c.DecodeTimeout, 5*time.Second)
	def(&c.SourceLead, DefaultSourceLead)
	if c.BufferBytes == 0 {
		c.BufferBytes = 32 << 20
	}
	if c.OfflineAfter == 0 {
		c.OfflineAfter = 3
	}
	if c.DecodeQueue == 0 {
		c.DecodeQueue = 64
	}
	def(&c.HistoryDuration, 10*time.Minute)
	if c.HistoryBytes == 0 {
		c.HistoryBytes = 256 << 20
	}
	if c.MaxPixels == 0 {
		c.MaxPixels = DefaultMaxPixels
	}
	if c.DecodeMode == "" {
		c.DecodeMode = "auto"
	}
}

// Deps are the camera's collaborators.
type Deps struct {
	// Logger receives the log; nil is silent.
	Logger *slog.Logger
	// NewDecoder creates a decoder for a codec (required).
	NewDecoder func(media.Codec) (Decoder, error)
	// OnFrame receives pictures at the detection interval, from the camera's
	// decode goroutine; it should hand them off quickly (required).
	OnFrame func(media.Frame)
	// OnState is told about every state change (optional).
	OnState func(State, string)
	// OnDecoder is told about every change of the decoding's health
	// (stuck, degraded, ok), from the decode goroutine (optional).
	OnDecoder func(DecoderState, string)
	// Now defaults to time.Now.
	Now func() time.Time
	// Source, when set, replaces the RTSP session: the camera plays it
	// once, losing nothing, and Run returns nil at its end (replay). URL
	// and the session settings are then unused; DecodeQueue is 2.
	Source Source
}

// Camera pulls one stream under a supervisor that reconnects with
// exponential backoff and jitter.
type Camera struct {
	cfg   Config
	deps  Deps
	log   *slog.Logger
	ring  *Ring
	stats counters
	smp   sampler // used only by Run's session goroutine

	mu       sync.Mutex
	state    State
	reason   string
	decState DecoderState

	histMu sync.Mutex
	hist   *History // nil unless HistoryDir is set and Run is running

	lead leadGate // a played Source's distance to the decoder
}

// New validates the configuration and returns a camera ready to Run.
func New(cfg Config, deps Deps) (*Camera, error) {
	cfg.setDefaults()
	if cfg.CameraID == "" {
		return nil, errors.New("ingest: camera id required")
	}
	if cfg.URL == "" && deps.Source == nil {
		return nil, fmt.Errorf("ingest: camera %s: url required", cfg.CameraID)
	}
	if deps.Source != nil {
		cfg.DecodeQueue = sourceDecodeQueue
	}
	switch cfg.DecodeMode {
	case "auto", "keyframes", "all", "none":
	default:
		return nil, fmt.Errorf("ingest: camera %s: decode mode %q (auto, keyframes, all or none)", cfg.CameraID, cfg.DecodeMode)
	}
	if deps.NewDecoder == nil || (deps.OnFrame == nil && cfg.DecodeMode != "none") {
		return nil, errors.New("ingest: NewDecoder and OnFrame are required (OnFrame unless decode mode none)")
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	return &Camera{
		cfg:   cfg,
		deps:  deps,
		log:   deps.Logger.With("camera", cfg.CameraID),
		ring:  NewRing(cfg.BufferDuration, cfg.BufferBytes),
		smp:   sampler{interval: cfg.DetectInterval, mode: cfg.DecodeMode},
		state: StateConnecting,
		lead:  leadGate{progress: make(chan struct{}, 1)},
	}, nil
}

// Ring returns the camera's compressed history in memory.
func (c *Camera) Ring() *Ring { return c.ring }

// Run pulls the stream until ctx is cancelled, reconnecting on any error.
// It returns ctx.Err(). A camera with a Source plays it instead and
// returns nil once every unit of it is decoded and handed to OnFrame.
func (c *Camera) Run(ctx context.Context) error {
	decoding := c.cfg.DecodeMode != "none"
	units := make(chan queued, c.cfg.DecodeQueue)
	var wg sync.WaitGroup
	if decoding {
		wg.Go(func() { c.decodeLoop(units) })
	}
	defer func() {
		close(units)
		wg.Wait()
	}()
	if c.cfg.HistoryRoot != "" {
		stop, err := c.startHistory()
		if err != nil {
			c.log.Error("history on disk disabled", "err", err)
		} else {
			defer stop()
		}
	}
	if c.deps.Source != nil {
		return c.play(ctx, units)
	}

	var ptsOffset, lastPTS time.Duration
	failures := 0
	for attempt := 0; ; attempt++ {
		if failures == 0 {
			// A failing camera keeps its stalled/offline state until it
			// streams again.
			c.setState(StateConnecting, "")
		}
		first := true
		gotUnits := false
		sink := func(au media.AccessUnit, params media.Params) {
			if first {
				// Keep PTS monotonic across reconnects so clips spanning one
				// stay playable.
				ptsOffset = lastPTS + 40*time.Millisecond - au.PTS
				first = false
			}
			gotUnits = true
			au.PTS += ptsOffset
			lastPTS = au.PTS
			c.take(au, params)
			if decoding {
				c.offer(units, au, params)
			}
		}
		err := runSession(ctx, &c.cfg, c.deps.Now, &c.stats, sink, func(codec media.Codec) {
			c.setState(StateStreaming, string(codec))
		})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.stats.reconnects.Add(1)
		if gotUnits {
			failures = 0
		}
		failures++
		next := StateConnecting
		if failures >= c.cfg.OfflineAfter {
			next = StateOffline
		}
		if errors.Is(err, ErrStalled) {
			next = StateStalled
		}
		delay := backoff.Delay(c.cfg.BackoffBase, c.cfg.BackoffMax, failures)
		c.setState(next, err.Error())
		c.log.Debug("reconnecting", "in", delay.Round(time.Millisecond), "attempt", failures)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
}

// take counts a unit and keeps it in the ring (and so in the history):
// the intake of both a live session and a played Source.
func (c *Camera) take(au media.AccessUnit, params media.Params) {
	c.stats.units.Add(1)
	if !au.CameraTime.IsZero() {
		c.stats.driftNanos.Store(int64(au.Recv.Sub(au.CameraTime)))
		c.stats.hasDrift.Store(true)
	}
	c.stats.bytes.Add(uint64(au.Size()))
	c.ring.SetParams(params)
	c.ring.Push(au)
}

// State returns the camera's current state and its reason.
func (c *Camera) State() (State, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state, c.reason
}

func (c *Camera) setState(s State, reason string) {
	c.mu.Lock()
	changed := s != c.state || (s != StateConnecting && reason != c.reason)
	c.state, c.reason = s, reason
	c.mu.Unlock()
	if !changed {
		return
	}
	if s == StateStreaming || s == StateConnecting {
		c.log.Info("camera state", "state", s, "reason", reason)
	} else {
		c.log.Warn("camera state", "state", s, "reason", reason)
	}
	if c.deps.OnState != nil {
		c.deps.OnState(s, reason)
	}
}

// State is a camera's connection state.
type State string

// Camera states.
const (
	StateConnecting State = "connecting"
	StateStreaming  State = "streaming"
	StateStalled    State = "stalled"
	StateOffline    State = "offline"
)

type counters struct {
	packets, units, bytes, decoded, sent, decodeErrors, dropped, reconnects, decoderStuck atomic.Uint64

	driftNanos atomic.Int64
	hasDrift   atomic.Bool
}

// Stats are a camera's running totals.
type Stats struct {
	// Packets are RTP packets; Units access units; Bytes their payload.
	Packets, Units, Bytes uint64
	// FramesDecoded by the decoder, FramesSent to detection.
	FramesDecoded, FramesSent uint64
	// DecodeErrors are units the decoder rejected; Dropped units that found
	// the decoder queue full.
	DecodeErrors, Dropped uint64
	// Reconnects counts ended sessions.
	Reconnects uint64
	// DecoderStuck counts decode calls abandoned by the watchdog;
	// Decoder is the decoding's health now.
	DecoderStuck uint64
	Decoder      DecoderState
	Ring         RingStats
	// Drift is server receive time minus camera time (RTCP NTP) of the
	// latest unit; HasDrift is false until the camera sent a sender report.
	Drift    time.Duration
	HasDrift bool
}

// Stats returns the camera's counters.
func (c *Camera) Stats() Stats {
	return Stats{
		Packets:       c.stats.packets.Load(),
		Drift:         time.Duration(c.stats.driftNanos.Load()),
		HasDrift:      c.stats.hasDrift.Load(),
		Units:         c.stats.units.Load(),
		Bytes:         c.stats.bytes.Load(),
		FramesDecoded: c.stats.decoded.Load(),
		FramesSent:    c.stats.sent.Load(),
		DecodeErrors:  c.stats.decodeErrors.Load(),
		Dropped:       c.stats.dropped.Load(),
		Reconnects:    c.stats.reconnects.Load(),
		DecoderStuck:  c.stats.decoderStuck.Load(),
		Decoder:       c.DecoderState(),
		Ring:          c.ring.Stats(),
	}
}

// RedactedURL is the camera address with its password hidden.
func (c *Camera) RedactedURL() string { return config.Redact(c.cfg.URL) }
