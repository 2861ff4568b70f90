package worker

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/detect/model"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/testkit/testenv"
)

type discard struct{}

func (discard) WriteCase(context.Context, string, []byte) error { return nil }

// TestBadModelFailsAtStart: a truncated model, or a file that is not the
// expected network, fails worker start-up with an error naming the file (and
// never aborts the process in OpenCV).
func TestBadModelFailsAtStart(t *testing.T) {
	mirror := os.Getenv("PATROL_ASSET_MIRROR")
	if mirror == "" {
		mirror = testenv.Mirror()
	}
	good, err := os.ReadFile(filepath.Join(mirror, "models", "yolox_nano.onnx"))
	if err != nil {
		t.Fatalf("model not in the asset mirror: %v", err)
	}
	dir := t.TempDir()
	files := map[string][]byte{
		"truncated.onnx": good[:len(good)/3],
		"random.onnx":    []byte(strings.Repeat("not a network at all ", 500)),
		"empty.onnx":     nil,
	}
	store, err := evidence.NewDir(filepath.Join(dir, "ev"), "")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			cfg := &config.Config{
				Cameras: []config.Camera{{ID: "c", URL: "rtsp://127.0.0.1:1/x"}},
				Model:   config.Model{Path: path},
			}
			cfg.ApplyDefaults()
			w, err := New(cfg, Deps{Store: store, Cases: discard{}, Health: discard{}})
			if err != nil {
				t.Fatal(err)
			}
			err = w.Run(context.Background())
			if err == nil {
				t.Fatal("worker started with a bad model")
			}
			if !strings.Contains(err.Error(), path) || !errors.Is(err, model.ErrBadModel) {
				t.Fatalf("error %q does not name %s as a bad model", err, path)
			}
		})
	}
}

// TestShutdownWithHungCamera: one camera accepted TCP and never answers
// (its RTSP handshake hangs until the 10 s read timeout); after the context ends the
// worker stops within shutdown_timeout, cleanly.
func TestShutdownWithHungCamera(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // never answered, closed with the test
			mu.Unlock()
		}
	}()
	dir := t.TempDir()
	store, err := evidence.NewDir(filepath.Join(dir, "ev"), "")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{
		Cameras:         []config.Camera{{ID: "hung", URL: "rtsp://" + ln.Addr().String() + "/x"}},
		Model:           config.Model{Path: filepath.Join(testenv.Mirror(), "models", "yolox_nano.onnx")},
		DataDir:         filepath.Join(dir, "data"),
		ShutdownTimeout: 5 * time.Second,
		Monitoring:      config.Monitoring{MetricsAddress: "off"},
	}
	cfg.ApplyDefaults()
	w, err := New(cfg, Deps{Store: store, Cases: discard{}, Health: discard{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	select {
	case <-w.Ready():
	case err := <-done:
		t.Fatalf("Run: %v", err)
	}
	// The camera's RTSP handshake is under way, held by the listener.
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(held)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		t.Logf("stopped %v after cancel", time.Since(stop).Round(time.Millisecond))
	case <-time.After(cfg.ShutdownTimeout + 2*time.Second):
		t.Fatalf("worker still running %v after cancel (shutdown_timeout %v)", time.Since(stop), cfg.ShutdownTimeout)
	}
	mu.Lock()
	for _, c := range held {
		c.Close()
	}
	mu.Unlock()
}

// TestNewStartsNothing: New on a configuration whose Kafka brokers and S3
// endpoint are a listener that counts connections returns without
// connecting (nor looking for its model), and Close without Run leaves no
// goroutine behind; a closed worker does not run.
func TestNewStartsNothing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conns := make(chan net.Conn, 64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
		}
	}()
	opts := []goleak.Option{goleak.IgnoreCurrent()}
	dir := t.TempDir()
	cfg := &config.Config{
		Cameras: []config.Camera{{ID: "c", URL: "rtsp://127.0.0.1:1/x"}},
		Model:   config.Model{Path: filepath.Join(dir, "absent.onnx")},
		Kafka:   config.Kafka{Brokers: []string{ln.Addr().String()}},
		Evidence: config.Evidence{Kind: "s3", Endpoint: ln.Addr().String(), Bucket: "cases",
			AccessKey: "k", SecretKey: "s"},
		DataDir:    filepath.Join(dir, "data"),
		Monitoring: config.Monitoring{MetricsAddress: "127.0.0.1:0"},
	}
	cfg.ApplyDefaults()
	w, err := New(cfg, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := goleak.Find(opts...); err != nil {
		t.Fatalf("New and Close left goroutines: %v", err)
	}
	select {
	case c := <-conns:
		c.Close()
		t.Fatal("New connected to the brokers or the store")
	default:
	}
	if w.MetricsAddr() != "" || w.Pipeline() != nil {
		t.Fatal("a worker never run reports a metrics address or a pipeline")
	}
	if err := w.Run(context.Background()); err == nil {
		t.Fatal("Run after Close ran")
	}
}
