package ingest

import (
	"errors"
	"fmt"
	"time"

	"github.com/patrol-city/patrol/internal/media"
)

// DecoderState is the health of a camera's decoding.
type DecoderState string

// Decoder states, reported through Deps.OnDecoder, in Stats and on the
// health topic (kind "decoder").
const (
	// DecoderOK: pictures decode.
	DecoderOK DecoderState = "ok"
	// DecoderStuck: a decode call did not return within DecodeTimeout; the
	// decoder was abandoned and replaced.
	DecoderStuck DecoderState = "stuck"
	// DecoderDegraded: most units of the last window were undecodable
	// (a corrupted stream that still arrives, so the camera is "streaming").
	DecoderDegraded DecoderState = "degraded"
)

// errDecodeTimeout is the watchdog's verdict on a call that did not return.
var errDecodeTimeout = errors.New("decode call did not return")

// guardedDecoder runs one Decoder's calls on a goroutine of its own, so
// that a call hanging inside libavcodec can be abandoned: the camera's
// decode loop waits at most a timeout for each call. An abandoned decoder's
// goroutine closes the decoder if its call ever returns; until then it is
// the one goroutine patrol cannot wait for (counted in Stats.DecoderStuck).
type guardedDecoder struct {
	req  chan decodeRequest
	res  chan decodeResult
	done chan struct{}
}

type decodeRequest struct {
	nalus [][]byte
	intra bool
}

type decodeResult struct {
	img *media.Image
	err error
}

func newGuardedDecoder(dec Decoder) *guardedDecoder {
	g := &guardedDecoder{req: make(chan decodeRequest), res: make(chan decodeResult, 1), done: make(chan struct{})}
	intra, _ := dec.(IntraDecoder)
	go func() {
		defer close(g.done)
		defer dec.Close()
		for r := range g.req {
			var res decodeResult
			if r.intra && intra != nil {
				res.img, res.err = intra.DecodeIntra(r.nalus)
			} else {
				res.img, res.err = dec.Decode(r.nalus)
			}
			g.res <- res
		}
	}()
	return g
}

// decode hands nalus to the decoder's goroutine and waits up to timeout;
// errDecodeTimeout means the decoder must be abandoned (close it). intra
// asks an IntraDecoder for the unit's own picture (key-only decoding).
func (g *guardedDecoder) decode(nalus [][]byte, intra bool, timeout time.Duration) (*media.Image, error) {
	g.req <- decodeRequest{nalus, intra} // the goroutine is idle: the previous call has returned
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-g.res:
		return r.img, r.err
	case <-t.C:
		return nil, fmt.Errorf("%w within %v", errDecodeTimeout, timeout)
	}
}

// close ends the goroutine once its current call (if any) returns; wait
// reports whether it did within d.
func (g *guardedDecoder) close() { close(g.req) }

func (g *guardedDecoder) wait(d time.Duration) bool {
	select {
	case <-g.done:
		return true
	case <-time.After(d):
		return false
	}
}

// decodeHealth judges a camera's decoding over windows of units: degraded
// when more than half of a window failed, ok again below a tenth.
type decodeHealth struct {
	tried, failed  int
	state          DecoderState
	lastFailReason string
}

const decodeWindow = 50

// observe counts one unit's outcome and returns the new state and a reason
// when the state changes.
func (h *decodeHealth) observe(err error) (DecoderState, string, bool) {
	if h.state == "" {
		h.state = DecoderOK
	}
	h.tried++
	if err != nil {
		h.failed++
		h.lastFailReason = err.Error()
	}
	if h.tried < decodeWindow {
		return h.state, "", false
	}
	tried, failed := h.tried, h.failed
	h.tried, h.failed = 0, 0
	switch {
	case h.state != DecoderDegraded && failed*2 > tried:
		h.state = DecoderDegraded
		return h.state, fmt.Sprintf("%d of the last %d units undecodable (%s)", failed, tried, h.lastFailReason), true
	case h.state == DecoderDegraded && failed*10 < tried:
		h.state = DecoderOK
		return h.state, fmt.Sprintf("%d of the last %d units undecodable", failed, tried), true
	}
	return h.state, "", false
}
