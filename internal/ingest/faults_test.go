package ingest

import (
	"context"
	"crypto/rand"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/testkit/sim"
)

// garbageServer answers every connection like a web server on the wrong
// port: an HTTP status line followed by random bytes.
func garbageServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				_, _ = c.Read(buf) // whatever the client asks, it gets garbage
				rand.Read(buf)
				_, _ = c.Write(append([]byte("HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n"), buf...))
				time.Sleep(time.Second)
			}()
		}
	}()
	return l.Addr().String()
}

// TestFaultyCamerasDoNotDisturbOthers: a camera that sends garbage and one
// with a wrong password fail with clear reasons, no password is logged, and
// a healthy camera's frame count rises all along.
func TestFaultyCamerasDoNotDisturbOthers(t *testing.T) {
	const pass = "CorrectHorse9"
	const wrong = "WrongBattery7"
	srv, err := sim.NewServer(sim.ServerConfig{Address: "127.0.0.1:0", User: "admin", Password: pass}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Add("cam", testStream(t, media.H264, 10, 10, 50)); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	log := newTestLogger(&logs)
	var goodFrames atomic.Int64
	mk := func(id, url string, onFrame func(media.Frame)) *Camera {
		c, err := New(Config{CameraID: id, URL: url, BackoffBase: 300 * time.Millisecond, BackoffMax: time.Second, OfflineAfter: 2},
			Deps{Logger: log, NewDecoder: newDecoder, OnFrame: onFrame})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	good := mk("good", srv.URL("cam"), func(media.Frame) { goodFrames.Add(1) })
	badAuth := mk("wrong-password", strings.Replace(srv.URL("cam"), pass, wrong, 1), func(media.Frame) {})
	garbage := mk("garbage", "rtsp://admin:"+pass+"@"+garbageServer(t)+"/cam", func(media.Frame) {})

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, c := range []*Camera{good, badAuth, garbage} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = c.Run(ctx) }()
	}
	// The healthy camera's count rises in every 2-second window.
	time.Sleep(2 * time.Second)
	last := goodFrames.Load()
	for i := 0; i < 3; i++ {
		time.Sleep(2 * time.Second)
		n := goodFrames.Load()
		if n <= last {
			t.Errorf("window %d: healthy camera stuck at %d frames", i, n)
		}
		last = n
	}
	cancel()
	wg.Wait()

	for _, c := range []*Camera{badAuth, garbage} {
		s, reason := c.State()
		if s != StateOffline || reason == "" {
			t.Errorf("%s: state %s (%q), want offline with a reason", c.cfg.CameraID, s, reason)
		}
		t.Logf("%s: %s", c.cfg.CameraID, reason)
		if c.Stats().FramesSent != 0 {
			t.Errorf("%s sent frames", c.cfg.CameraID)
		}
	}
	if _, r := badAuth.State(); !strings.Contains(r, ErrAuth.Error()) {
		t.Errorf("wrong password reason does not say so: %q", r)
	}
	if _, r := garbage.State(); !strings.Contains(r, ErrNotRTSP.Error()) {
		t.Errorf("garbage reason does not say so: %q", r)
	}
	out := logs.String()
	for _, secret := range []string{pass, wrong} {
		if strings.Contains(out, secret) {
			t.Fatalf("a password appears in the logs:\n%s", out)
		}
	}
}
