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
}
