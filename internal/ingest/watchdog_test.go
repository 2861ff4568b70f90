package ingest

import (
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/media"
)

// hangingDecoder wraps a real decoder and blocks forever in its n-th call
// (until release is closed), as a decoder wedged inside libavcodec would.
type hangingDecoder struct {
	Decoder
	calls   int
	hangAt  int
	release chan struct{}
}

func (h *hangingDecoder) Decode(nalus [][]byte) (*media.Image, error) {
	h.calls++
	if h.calls == h.hangAt {
		<-h.release
		return nil, errors.New("released")
	}
	return h.Decoder.Decode(nalus)
}

// TestDecoderWatchdog: the first decoder of one camera hangs in its fifth
// call. The watchdog marks the camera's decoder stuck, replaces it, and
// pictures flow again; a second camera on the same server is unaffected
// throughout.
func TestDecoderWatchdog(t *testing.T) {
	t.Parallel()
	url := serveStream(t, testStream(t, media.H264, 10, 10, 100))
	release := make(chan struct{})
	defer close(release)
	var made atomic.Int32
	var mu sync.Mutex
	var states []DecoderState
	var stuckFrames, afterFrames, otherFrames atomic.Int32
	var stuckAt atomic.Bool
	hung, err := New(Config{CameraID: "hung", URL: url, DecodeMode: "all", DecodeTimeout: 500 * time.Millisecond},
		Deps{
			NewDecoder: func(c media.Codec) (Decoder, error) {
				d, err := newDecoder(c)
				if err != nil {
					return nil, err
				}
				if made.Add(1) == 1 {
					return &hangingDecoder{Decoder: d, hangAt: 5, release: release}, nil
				}
				return d, nil
			},
			OnFrame: func(media.Frame) {
				if stuckAt.Load() {
					afterFrames.Add(1)
				} else {
					stuckFrames.Add(1)
				}
			},
			OnDecoder: func(s DecoderState, reason string) {
				mu.Lock()
				states = append(states, s)
				mu.Unlock()
				if s == DecoderStuck {
					stuckAt.Store(true)
				}
			},
		})
	if err != nil {
		t.Fatal(err)
	}
	other, err := New(Config{CameraID: "other", URL: url, DecodeMode: "all"},
		Deps{NewDecoder: newDecoder, OnFrame: func(media.Frame) { otherFrames.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	stop := startCameras(hung, other)
	time.Sleep(6 * time.Second)
	st := hung.Stats()
	stop()
	mu.Lock()
	defer mu.Unlock()
	t.Logf("states %v, stuck %d, frames before %d after %d, other camera %d", states, st.DecoderStuck, stuckFrames.Load(), afterFrames.Load(), otherFrames.Load())
	if len(states) < 2 || states[0] != DecoderStuck || states[1] != DecoderOK {
		t.Fatalf("decoder states %v, want [stuck ok]", states)
	}
	if st.DecoderStuck != 1 || made.Load() < 2 {
		t.Fatalf("stuck calls %d, decoders made %d", st.DecoderStuck, made.Load())
	}
	if afterFrames.Load() < 3 {
		t.Fatalf("only %d pictures after the decoder was replaced", afterFrames.Load())
	}
	if otherFrames.Load() < 4 {
		t.Fatalf("the other camera got %d pictures in 6 s", otherFrames.Load())
	}
}

// TestDecodeHealthWindows: more than half of a window undecodable is
// degraded; back to ok only below a tenth.
func TestDecodeHealthWindows(t *testing.T) {
	bad := errors.New("invalid data")
	for _, tc := range []struct {
		name     string
		failures []int // failed units in each window of decodeWindow
		want     []DecoderState
	}{
		{"clean", []int{0, 0}, []DecoderState{DecoderOK, DecoderOK}},
		{"corrupted", []int{40, 45}, []DecoderState{DecoderDegraded, DecoderDegraded}},
		{"half is not degraded", []int{25}, []DecoderState{DecoderOK}},
		{"recovers below a tenth", []int{40, 20, 4}, []DecoderState{DecoderDegraded, DecoderDegraded, DecoderOK}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h decodeHealth
			for w, n := range tc.failures {
				var st DecoderState
				for i := 0; i < decodeWindow; i++ {
					var err error
					if i < n {
						err = bad
					}
					st, _, _ = h.observe(err)
				}
				if st != tc.want[w] {
					t.Fatalf("window %d (%d failed): %s, want %s", w, n, st, tc.want[w])
				}
			}
		})
	}
}

// TestCorruptedStreamDegraded: a camera whose stream arrives but whose
// non-key units are garbage (random bytes after the NAL header: 9 of 10
// units) stays "streaming" and is reported decoder "degraded" with the
// reason, within one window of units.
func TestCorruptedStreamDegraded(t *testing.T) {
	t.Parallel()
	st := testStream(t, media.H264, 10, 10, 100)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range st.Units {
		if st.Units[i].Key {
			continue
		}
		st.Units[i].NALUs = cloneNALUs(st.Units[i].NALUs)
		for _, n := range st.Units[i].NALUs {
			for j := 1; j < len(n); j++ {
				n[j] = byte(r.UintN(256))
			}
		}
	}
	url := serveStream(t, st)
	var mu sync.Mutex
	var got []string
	cam, err := New(Config{CameraID: "corrupt", URL: url, DecodeMode: "all"},
		Deps{NewDecoder: newDecoder, OnFrame: func(media.Frame) {},
			OnDecoder: func(s DecoderState, reason string) {
				mu.Lock()
				got = append(got, string(s)+": "+reason)
				mu.Unlock()
			}})
	if err != nil {
		t.Fatal(err)
	}
	stop := startCameras(cam)
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	state, _ := cam.State()
	stop()
	mu.Lock()
	defer mu.Unlock()
	t.Logf("camera %s, decoder reports %v, decode errors %d", state, got, cam.Stats().DecodeErrors)
	if len(got) == 0 || !strings.HasPrefix(got[0], "degraded: ") || !strings.Contains(got[0], "of the last 50 units undecodable") {
		t.Fatalf("decoder reports %v, want degraded with the reason", got)
	}
	if state != StateStreaming {
		t.Fatalf("camera %s, want streaming (the stream arrives)", state)
	}
}
