package ingest

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/media"
)

// silentServer accepts TCP connections and never answers: a camera whose
// RTSP server hangs after accept (or a firewall that lets SYNs through).
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	return l.Addr().String()
}

// TestHungHandshakeCancels: a camera that accepted the connection and never
// answers DESCRIBE must not hold up the camera's Run once its context ends,
// however long the read timeout (here 60 s): the handshake is cancelled by
// closing its connection.
func TestHungHandshakeCancels(t *testing.T) {
	t.Parallel()
	addr := silentServer(t)
	cam, err := New(Config{CameraID: "hung", URL: "rtsp://" + addr + "/stream", ReadTimeout: time.Minute},
		Deps{NewDecoder: newDecoder, OnFrame: func(media.Frame) {}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cam.Run(ctx) }()
	time.Sleep(time.Second) // connected, DESCRIBE sent, no answer
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		t.Logf("Run returned after %v: %v", time.Since(start).Round(time.Millisecond), err)
	case <-time.After(10 * time.Second):
		t.Fatal("camera Run still blocked in the RTSP handshake 10 s after cancel (read timeout 60 s)")
	}
}
