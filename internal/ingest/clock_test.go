package ingest

import (
	"bytes"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher/clip"
)

// TestLongSessionClock drives one RTSP session whose RTP timestamps start
// half a second before the 32-bit wrap and then run through 31 hours of
// ticks within about a second of real time (the simulator's Warp: each
// unit's timestamp jumps one hour, below the 2^31-tick step a receiver can
// follow), then continue at 25 fps. Frames must keep reaching detection
// with their real presentation times (past the 28.5 h where
// time.Duration(ticks)*time.Second overflows), and a clip cut from the ring
// after the jump must keep its 40 ms sample timing.
func TestLongSessionClock(t *testing.T) {
	t.Parallel()
	const (
		warpFrom = time.Second
		steps    = 31
		frame    = 40 * time.Millisecond
	)
	// The receiver's clock starts at its first packet, which may come
	// after the first jumps: 29 h is past the naive form's 28.5 h.
	jumped := 29 * time.Hour
	st := testStream(t, media.H264, 25, 25, 50)
	st.RTPBase = math.MaxUint32 - media.VideoClockRate/2
	st.Warp = func(d time.Duration) time.Duration {
		if d < warpFrom {
			return d
		}
		return d + time.Duration(min(int64((d-warpFrom)/frame)+1, steps))*time.Hour
	}
	url := serveStream(t, st)
	var mu sync.Mutex
	var frames []time.Duration
	cam, err := New(Config{CameraID: "c", URL: url, BufferDuration: 3 * time.Second},
		Deps{NewDecoder: newDecoder, OnFrame: func(f media.Frame) {
			mu.Lock()
			frames = append(frames, f.PTS)
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	stop := startCameras(cam)
	time.Sleep(8 * time.Second)
	now := time.Now()
	params, units := cam.Ring().Range(now.Add(-1500*time.Millisecond), now)
	stop()

	mu.Lock()
	defer mu.Unlock()
	// The frames after the last jump (a gap of more than 30 minutes).
	var late []time.Duration
	for i, p := range frames {
		if i > 0 && p-frames[i-1] > 30*time.Minute {
			late = late[:0]
		}
		late = append(late, p)
	}
	if len(late) > 0 && late[0] < jumped {
		t.Fatalf("frames after the jump are at %v, before %v: %v", late[0], jumped, frames)
	}
	t.Logf("%d frames reached detection, %d of them after %v of stream time (last %v)", len(frames), len(late), jumped, frames[len(frames)-1])
	if len(late) < 3 {
		t.Fatalf("only %d frames after the clock passed %v: %v", len(late), jumped, frames)
	}
	for i := 1; i < len(late); i++ {
		if d := late[i] - late[i-1]; d < 500*time.Millisecond || d > 2100*time.Millisecond {
			t.Fatalf("detection frames %v apart after the jump, want about 1s: %v", d, late)
		}
	}
	// The clip from the ring, cut after the jump, keeps its timing.
	for len(units) > 0 && (!units[0].Key || units[0].PTS < jumped) {
		units = units[1:]
	}
	if len(units) < 10 {
		t.Fatalf("ring holds %d units after the jump", len(units))
	}
	var buf bytes.Buffer
	dur, err := clip.Write(&buf, params, units)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Duration(len(units)) * frame
	if dur < want-frame || dur > want+frame {
		t.Fatalf("clip of %d units lasts %v, want about %v", len(units), dur, want)
	}
}
