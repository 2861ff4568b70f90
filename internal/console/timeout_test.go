package console

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"
)

// TestSlowBodyDropped: a request whose body never arrives does not hold
// its connection past the server's ReadTimeout (before: no ReadTimeout,
// still open after 16 s). The timeout is shortened here to keep the test
// short; the console's own is 30 s.
func TestSlowBodyDropped(t *testing.T) {
	t.Parallel()
	srv, err := New(testConfig(t, kafkaAddr(t)), Deps{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if srv.srv.ReadTimeout <= 0 || srv.srv.ReadHeaderTimeout <= 0 {
		t.Fatalf("read timeouts %v / %v", srv.srv.ReadTimeout, srv.srv.ReadHeaderTimeout)
	}
	srv.srv.ReadTimeout = 500 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	<-srv.Ready()
	conn, err := net.Dial("tcp", srv.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nuser="); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.ReadAll(conn) // returns when the server closes the connection
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the connection stayed open %v", d)
	}
}
