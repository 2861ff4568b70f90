package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/patrol-city/patrol/internal/media"
)

// Reader yields a recording's access units in decoding order, PTS from
// the first unit; *demux.File implements it.
type Reader interface {
	Params() media.Params
	// Next returns io.EOF after the last unit.
	Next() (media.AccessUnit, error)
	Close() error
}

// Input is a recording to play.
type Input struct {
	// Open opens the recording at its start; it is called once per loop
	// (required).
	Open func() (Reader, error)
	// Loops plays the recording (or its From-To part) this many times in a
	// row, each loop's time following the last (default 1).
	Loops int
	// From starts each loop at the last key unit at or before From
	// (default 0: the start).
	From time.Duration
	// To ends each loop after the last unit at or before To (default 0:
	// the end).
	To time.Duration
	// Period is the length of one loop of the whole recording, when known
	// exactly (default: the last PTS plus the mean frame time).
	Period time.Duration
}

// source plays an Input as an ingest.Source: it stamps each unit with its
// time on the replay clock (Start + loop offset + PTS, never going back)
// and moves the clock to a unit's time once the camera has taken it into
// its ring, so that whatever waits on the clock (the post-roll) finds its
// units there. At Speed > 0 it waits on the wall clock to play at that
// pace.
type source struct {
	in    Input
	start time.Time
	speed float64
	clock *clockwork.FakeClock

	rd       Reader
	loop     int
	offset   time.Duration // of the current loop on the replay clock
	segStart time.Duration // PTS of the loop's first unit
	maxPTS   time.Duration // the loop's largest PTS so far
	units    int           // units played in the current loop
	gop      []media.AccessUnit
	started  bool      // the loop reached From
	pending  time.Time // the last unit's time: the clock moves there next
	last     time.Time
	wallZero time.Time

	// spans are the loops played so far (read after the camera stopped).
	spans []span
	// err is the error that ended the play early (read after the
	// camera stopped).
	err error

	mu       sync.Mutex
	fileTime time.Duration // PTS of the last unit played (progress)
	curLoop  int           // its loop, from 1
}

func newSource(in Input, start time.Time, speed float64, clock *clockwork.FakeClock) *source {
	if in.Loops <= 0 {
		in.Loops = 1
	}
	return &source{in: in, start: start, speed: speed, clock: clock}
}

// Next implements ingest.Source.
func (s *source) Next(ctx context.Context) (media.AccessUnit, media.Params, error) {
	s.advance(s.pending)
	for {
		if err := ctx.Err(); err != nil {
			return media.AccessUnit{}, media.Params{}, err
		}
		if s.rd == nil {
			if s.loop >= s.in.Loops {
				return media.AccessUnit{}, media.Params{}, io.EOF
			}
			rd, err := s.in.Open()
			if err != nil {
				s.err = fmt.Errorf("replay: loop %d: %w", s.loop+1, err)
				return media.AccessUnit{}, media.Params{}, s.err
			}
			s.rd, s.units, s.started, s.gop = rd, 0, s.in.From <= 0, nil
		}
		au, ok, err := s.read()
		if err != nil {
			s.err = err
			return media.AccessUnit{}, media.Params{}, err
		}
		if !ok {
			continue // next loop
		}
		s.mu.Lock()
		s.fileTime, s.curLoop = au.PTS, s.loop+1
		s.mu.Unlock()
		// One stream time over the loops, as a camera's: PTS and arrival
		// go on from loop to loop.
		au.PTS = s.offset + au.PTS - s.segStart
		au.Recv = s.start.Add(au.PTS)
		if au.Recv.Before(s.last) {
			au.Recv = s.last // B-frames: arrival never goes back
		}
		s.last, s.pending = au.Recv, au.Recv
		if err := s.pace(ctx, au.Recv); err != nil {
			return media.AccessUnit{}, media.Params{}, err
		}
		return au, s.rd.Params(), nil
	}
}

// read returns the loop's next unit, from From on (ok false: the loop
// ended and the next one is set up).
func (s *source) read() (media.AccessUnit, bool, error) {
	for {
		if s.started && len(s.gop) > 0 {
			au := s.gop[0]
			s.gop = s.gop[1:]
			return s.count(au), true, nil
		}
		au, err := s.rd.Next()
		if errors.Is(err, io.EOF) || (err == nil && s.in.To > 0 && au.PTS > s.in.To) {
			return media.AccessUnit{}, false, s.endLoop()
		}
		if err != nil {
			return media.AccessUnit{}, false, fmt.Errorf("replay: %w", err)
		}
		if s.started {
			return s.count(au), true, nil
		}
		// Before From: keep the GOP, so that play starts at its key unit.
		if au.Key {
			s.gop = s.gop[:0]
		}
		if au.Key || len(s.gop) > 0 {
			s.gop = append(s.gop, au)
		}
		if au.PTS >= s.in.From && len(s.gop) > 0 {
			s.started = true
		}
	}
}

// count notes a unit played in the current loop.
func (s *source) count(au media.AccessUnit) media.AccessUnit {
	if s.units == 0 {
		s.segStart, s.maxPTS = au.PTS, au.PTS
	}
	s.units++
	s.maxPTS = max(s.maxPTS, au.PTS)
	return au
}

// endLoop closes the loop's reader and moves the loop offset on by the
// loop's length.
func (s *source) endLoop() error {
	err := s.rd.Close()
	s.rd = nil
	s.loop++
	if s.units == 0 {
		return fmt.Errorf("replay: loop %d played no video (From %v beyond the recording?)", s.loop, s.in.From)
	}
	length := s.maxPTS - s.segStart
	if s.units > 1 {
		length += length / time.Duration(s.units-1)
	}
	if s.in.Period > 0 && s.in.From <= 0 && s.in.To <= 0 {
		length = s.in.Period
	}
	s.spans = append(s.spans, span{offset: s.offset, segStart: s.segStart})
	s.offset += max(length, time.Millisecond)
	if err != nil {
		return fmt.Errorf("replay: close: %w", err)
	}
	return nil
}

// advance moves the replay clock forward to t.
func (s *source) advance(t time.Time) {
	if d := t.Sub(s.clock.Now()); d > 0 {
		s.clock.Advance(d)
	}
}

// pace waits until the wall clock has caught up with t at the replay's
// speed (no wait at speed 0, as fast as possible).
func (s *source) pace(ctx context.Context, t time.Time) error {
	if s.speed <= 0 {
		return nil
	}
	if s.wallZero.IsZero() {
		s.wallZero = time.Now()
	}
	due := s.wallZero.Add(time.Duration(float64(t.Sub(s.start)) / s.speed))
	wait := time.Until(due)
	if wait <= 0 {
		return nil
	}
	tm := time.NewTimer(wait)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// position returns the loop (from 1) and the PTS of the last unit played.
func (s *source) position() (int, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.curLoop, s.fileTime
}

// span is one loop on the replay clock: it starts offset after Start,
// with the recording's PTS segStart.
type span struct{ offset, segStart time.Duration }

// fileTime maps d, a time on the replay clock since Start, to its loop
// (from 1) and its time in the recording.
func fileTime(spans []span, d time.Duration) (int, time.Duration) {
	for i := len(spans) - 1; i >= 0; i-- {
		if d >= spans[i].offset {
			return i + 1, d - spans[i].offset + spans[i].segStart
		}
	}
	return 1, d
}

// Units returns an Input.Open over access units in memory (PTS from 0,
// decoding order), for example a simulator's encoded loop.
func Units(params media.Params, units []media.AccessUnit) func() (Reader, error) {
	return func() (Reader, error) { return &unitReader{params: params, units: units}, nil }
}

type unitReader struct {
	params media.Params
	units  []media.AccessUnit
	next   int
}

func (r *unitReader) Params() media.Params { return r.params }

func (r *unitReader) Next() (media.AccessUnit, error) {
	if r.next >= len(r.units) {
		return media.AccessUnit{}, io.EOF
	}
	au := r.units[r.next]
	r.next++
	return au, nil
}

func (r *unitReader) Close() error { return nil }
