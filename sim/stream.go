package sim

import (
	"time"

	"github.com/patrol-city/patrol/media"
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
}
