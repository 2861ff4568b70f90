package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	pkafka "github.com/patrol-city/patrol/internal/kafka"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/testkit/scenes"
	"github.com/patrol-city/patrol/internal/testkit/sim"
	"github.com/patrol-city/patrol/internal/testkit/testenv"
)

// services reads the addresses of the real services; a test fails (not
// skips) without them, unless PATROL_TEST_SKIP_SERVICES=1.
func services(t *testing.T) (broker string, s3 evidence.S3Config) {
	t.Helper()
	broker = os.Getenv("PATROL_TEST_KAFKA")
	raw := os.Getenv("PATROL_TEST_S3")
	if broker == "" || raw == "" {
		if os.Getenv("PATROL_TEST_SKIP_SERVICES") == "1" {
			t.Skip("PATROL_TEST_SKIP_SERVICES=1")
		}
		t.Fatal("PATROL_TEST_KAFKA and PATROL_TEST_S3 must point at a Kafka broker and a MinIO server: run `make test`")
	}
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		t.Fatalf("PATROL_TEST_S3 must look like http://ACCESS:SECRET@host:port")
	}
	pass, _ := u.User.Password()
	s3 = evidence.S3Config{Endpoint: u.Host, AccessKey: u.User.Username(), SecretKey: pass, Secure: u.Scheme == "https",
		Bucket: fmt.Sprintf("patrol-e2e-%d", rand.Uint32())}
	return broker, s3
}

// assetMirror returns the asset mirror directory.
func assetMirror(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PATROL_ASSET_MIRROR")
	if dir == "" {
		dir = testenv.Mirror()
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(abs, "models", "yolox_nano.onnx")); err != nil {
		t.Fatalf("no asset mirror at %s (set PATROL_ASSET_MIRROR): %v", abs, err)
	}
	return abs
}

// topicEnd creates the topic if needed and returns its current end offset.
func topicEnd(t *testing.T, addr, topic string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := pkafka.EnsureTopics(ctx, []string{addr}, topic); err != nil {
		t.Fatal(err)
	}
	for {
		conn, err := kafka.DialLeader(ctx, "tcp", addr, topic, 0)
		if err == nil {
			off, err := conn.ReadLastOffset()
			conn.Close()
			if err == nil {
				return off
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("topic %s: %v", topic, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// readMessages reads every message of partition 0 from offset until idle.
func readMessages(t *testing.T, broker, topic string, from int64, idle time.Duration) []kafka.Message {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{broker}, Topic: topic, Partition: 0, MaxWait: 200 * time.Millisecond})
	defer r.Close()
	if err := r.SetOffset(from); err != nil {
		t.Fatal(err)
	}
	var out []kafka.Message
	for {
		ctx, cancel := context.WithTimeout(context.Background(), idle)
		m, err := r.ReadMessage(ctx)
		cancel()
		if err != nil {
			return out
		}
		out = append(out, m)
	}
}

// sceneStream loads an embedded scene and encodes one loop of it.
func sceneStream(t *testing.T, mirror, name string, codec media.Codec) (*sim.Scene, *sim.Stream) {
	t.Helper()
	sc, err := scenes.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sim.SceneStream(sc, mirror, codec)
	if err != nil {
		t.Fatal(err)
	}
	return sc, st
}

// simServer starts a simulated camera server on a free loopback port; it is
// closed when the test ends (closing it earlier is fine).
func simServer(t *testing.T) *sim.Server {
	t.Helper()
	srv, err := sim.NewServer(sim.ServerConfig{Address: "127.0.0.1:0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// restartableSimServer starts a simulated camera server for a test that
// closes it and starts another on the same address: on a loopback port
// outside the kernel's ephemeral range, so that while it is closed no
// listener on port 0 and no outgoing connection (of this or any other
// test) can take the port. Without a range to pick from it is simServer.
func restartableSimServer(t *testing.T) *sim.Server {
	t.Helper()
	lo, hi := 20000, 32768 // Linux's default ephemeral range starts at 32768
	if raw, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		var first, last int
		if _, err := fmt.Sscan(string(raw), &first, &last); err == nil {
			lo, hi = 20000, first
			if hi-lo < 1000 {
				lo, hi = last+1, 65536
			}
		}
	}
	if hi-lo < 1000 {
		return simServer(t)
	}
	var err error
	for range 20 {
		var srv *sim.Server
		addr := fmt.Sprintf("127.0.0.1:%d", lo+rand.IntN(hi-lo))
		if srv, err = sim.NewServer(sim.ServerConfig{Address: addr}, nil); err == nil {
			t.Cleanup(srv.Close)
			return srv
		}
	}
	t.Fatalf("no free port for a restartable camera: %v", err)
	return nil
}
