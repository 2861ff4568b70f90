package sim

import (
	"time"

	"github.com/patrol-city/patrol/internal/media"
)

// Stream is an encoded loop: access units with PTS from 0, repeated every
// Period.
type Stream struct {
	Params media.Params
	Units  []media.AccessUnit
	// Period is the loop length (last PTS + one frame).
	Period time.Duration
	// Loops is how many times the stream plays before it ends (default 0:
	// forever). A stream that ended stays described but sends nothing.
	Loops int
	// RTPBase is the first RTP timestamp (default 0: random, as RFC 3550
	// asks). Tests set it just below 2^32 to cross the wrap at once.
	RTPBase uint32
	// Warp maps the stream's real-time position to the media time its RTP
	// timestamps carry (default nil: the same). Tests use it to run a
	// camera's clock through days of ticks within seconds of real time;
	// each step between units must stay below 2^31 ticks (6.6 h).
	Warp func(time.Duration) time.Duration
	// Phase starts the loop this far in (default 0: at its first unit), so
	// that paths serving one loop do not send their key frames at the
	// same moments, as independent cameras do not.
	Phase time.Duration
}

// rtpTime is the media time the RTP timestamp of position d carries.
func (s *Stream) rtpTime(d time.Duration) time.Duration {
	if s.Warp == nil {
		return d
	}
	return s.Warp(d)
}
