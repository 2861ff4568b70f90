package ingest

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/ingest/av"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/testkit/sim"
)

// gradient is a synthetic moving picture for test streams.
type gradient struct{ w, h int }

func (g gradient) Frame(i int) *media.Image {
	img := &media.Image{Width: g.w, Height: g.h, BGR: make([]byte, g.w*g.h*3)}
	for y := 0; y < g.h; y++ {
		for x := 0; x < g.w; x++ {
			o := (y*g.w + x) * 3
			img.BGR[o], img.BGR[o+1], img.BGR[o+2] = byte(x+i*4), byte(y+i*2), byte(x+y)
		}
	}
	return img
}

func testStream(t testing.TB, codec media.Codec, fps, gop, n int) *sim.Stream {
	t.Helper()
	return testStreamB(t, codec, fps, gop, n, 0)
}

// testStreamB is testStream with B-frames between reference frames.
func testStreamB(t testing.TB, codec media.Codec, fps, gop, n, bframes int) *sim.Stream {
	t.Helper()
	st, err := sim.EncodeFrames(gradient{160, 96}, n, av.EncoderConfig{Codec: codec, Width: 160, Height: 96, FPS: fps, GOP: gop, BFrames: bframes})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func newDecoder(c media.Codec) (Decoder, error) { return av.NewDecoder(c) }

// startCameras runs each camera's Run until the returned stop, which
// cancels them and waits.
func startCameras(cams ...*Camera) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, c := range cams {
		wg.Add(1)
		go func() { defer wg.Done(); _ = c.Run(ctx) }()
	}
	return func() { cancel(); wg.Wait() }
}

// serveStream starts a simulator on loopback serving st at path "cam" for
// the test's lifetime and returns the stream's URL.
func serveStream(t *testing.T, st *sim.Stream) string {
	t.Helper()
	srv, err := sim.NewServer(sim.ServerConfig{Address: "127.0.0.1:0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	if err := srv.Add("cam", st); err != nil {
		t.Fatal(err)
	}
	return srv.URL("cam")
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func newTestLogger(w *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestCameraFramesAndModes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		codec   media.Codec
		gop     int
		keyOnly bool
		bframes int
	}{
		{"h264 gop 1s keyframes only", media.H264, 10, true, 0},
		{"h264 gop 3s each GOP up to its last sample", media.H264, 30, false, 0},
		{"h265 gop 1s", media.H265, 10, true, 0},
		// B-frames: key frames decoded alone still give their picture at
		// once (drained), and partial GOPs decode without errors.
		{"h264 b-frames gop 1s keyframes only", media.H264, 10, true, 2},
		{"h264 b-frames gop 3s partial", media.H264, 30, false, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, err := sim.NewServer(sim.ServerConfig{Address: "127.0.0.1:0"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			if err := srv.Add("cam", testStreamB(t, tc.codec, 10, tc.gop, 60, tc.bframes)); err != nil {
				t.Fatal(err)
			}
			var frames atomic.Int64
			var last atomic.Int64
			cam, err := New(Config{CameraID: "c1", URL: srv.URL("cam")}, Deps{
				NewDecoder: newDecoder,
				OnFrame: func(f media.Frame) {
					if f.Width != 160 || f.Height != 96 || len(f.BGR) != 160*96*3 {
						t.Errorf("frame %dx%d", f.Width, f.Height)
					}
					frames.Add(1)
					last.Store(int64(f.PTS))
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 11*time.Second)
			defer cancel()
			_ = cam.Run(ctx)
			st := cam.Stats()
			// One frame per second once the first key frame has arrived
			// (up to one GOP after connecting).
			if n := frames.Load(); n < 4 || n > 12 {
				t.Errorf("frames sent = %d, want 4..12 (stats %+v)", n, st)
			}
			if st.DecodeErrors != 0 {
				t.Errorf("%d decode errors", st.DecodeErrors)
			}
			// The first GOP, its length not known yet, is decoded unit by
			// unit and sampled by time (TestSamplerFirstGOP): up to one
			// GOP of frames more than the mode's own cost.
			first := uint64(tc.gop)
			if tc.keyOnly && st.FramesDecoded > st.FramesSent+1+first {
				t.Errorf("keyframe mode decoded %d frames for %d sent", st.FramesDecoded, st.FramesSent)
			}
			// GOP 3 s at 1 s: each GOP is decoded up to 2 s after its key
			// frame (21 of 30 units), the rest skipped.
			if !tc.keyOnly && (st.FramesDecoded < 3*st.FramesSent || st.FramesDecoded*10 > st.Units*8+first*10) {
				t.Errorf("partial-GOP mode decoded %d frames of %d units for %d sent", st.FramesDecoded, st.Units, st.FramesSent)
			}
			if st.Ring.Units < 30 {
				t.Errorf("ring holds %d units", st.Ring.Units)
			}
		})
	}
}

// TestUnreachableCameraIsolated: a camera that cannot be reached is retried
// and logged without its password, while another camera keeps streaming.
func TestUnreachableCameraIsolated(t *testing.T) {
	t.Parallel()
	srv, err := sim.NewServer(sim.ServerConfig{Address: "127.0.0.1:0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Add("good", testStream(t, media.H264, 10, 10, 50)); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var goodFrames atomic.Int64
	good, err := New(Config{CameraID: "good", URL: srv.URL("good")}, Deps{Logger: log, NewDecoder: newDecoder,
		OnFrame: func(media.Frame) { goodFrames.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	const secret = "Sup3rS3cret!"
	bad, err := New(Config{CameraID: "bad", URL: "rtsp://admin:" + secret + "@127.0.0.1:1/stream",
		BackoffBase: 200 * time.Millisecond, BackoffMax: time.Second, OfflineAfter: 2},
		Deps{Logger: log, NewDecoder: newDecoder, OnFrame: func(media.Frame) {}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, c := range []*Camera{good, bad} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = c.Run(ctx) }()
	}
	wg.Wait()
	if n := goodFrames.Load(); n < 4 {
		t.Errorf("good camera sent %d frames while the other failed", n)
	}
	if r := bad.Stats().Reconnects; r < 3 {
		t.Errorf("bad camera retried %d times, want >= 3", r)
	}
	if s, _ := bad.State(); s != StateOffline {
		t.Errorf("bad camera state %s, want offline", s)
	}
	out := logs.String()
	if bytes.Contains([]byte(out), []byte(secret)) {
		t.Fatalf("the password appears in the logs:\n%s", out)
	}
	if !bytes.Contains([]byte(out), []byte("camera=bad")) || !bytes.Contains([]byte(out), []byte("state=offline")) {
		t.Errorf("no offline log line for the bad camera:\n%s", out)
	}
}
