package metrics

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/patrol-city/patrol/internal/pipeline"
)

// oneCamera is a source with one streaming camera and its picture.
type oneCamera struct{}

func (oneCamera) Stats() map[string]pipeline.CameraStats {
	return map[string]pipeline.CameraStats{"cam-1": {State: "streaming", Picture: "ok"}}
}
func (oneCamera) Picture(string) ([]byte, error) { return []byte("\xff\xd8jpeg\xff\xd9"), nil }

// serve runs a metrics server on loopback and returns its base URL.
func serve(t *testing.T, cfg Config) string {
	t.Helper()
	s, err := New(cfg, Sources{Cameras: oneCamera{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	select {
	case <-s.Ready():
	case err := <-done:
		t.Fatal(err)
	}
	return "http://" + s.Addr()
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestEndpointAccess: with monitoring.token, /metrics and the live
// pictures answer 401 without it (before: served to anyone), /healthz
// gives a caller without it the liveness alone; without a token, live
// pictures are refused on a non-loopback address and served on loopback.
func TestEndpointAccess(t *testing.T) {
	t.Parallel()
	const token = "0123456789abcdef-token"
	base := serve(t, Config{Address: "127.0.0.1:0", Worker: "w1", Token: token})
	for _, tc := range []struct {
		path, token string
		want        int
	}{
		{"/metrics", "", http.StatusUnauthorized},
		{"/metrics", "wrong-token-wrong-token", http.StatusUnauthorized},
		{"/metrics", token, http.StatusOK},
		{"/cameras/cam-1/picture.jpg", "", http.StatusUnauthorized},
		{"/cameras/cam-1/picture.jpg", token, http.StatusOK},
		{"/healthz", "", http.StatusOK},
		{"/healthz", token, http.StatusOK},
	} {
		if code, _ := get(t, base+tc.path, tc.token); code != tc.want {
			t.Errorf("%s with token %q: %d, want %d", tc.path, tc.token, code, tc.want)
		}
	}
	var live, full map[string]any
	_, body := get(t, base+"/healthz", "")
	_ = json.Unmarshal([]byte(body), &live)
	_, body = get(t, base+"/healthz", token)
	_ = json.Unmarshal([]byte(body), &full)
	if live["status"] != full["status"] || live["worker"] != "w1" || live["cameras"] != nil || full["cameras"] == nil {
		t.Errorf("healthz without the token %v, with it %v", live, full)
	}

	open := serve(t, Config{Address: "0.0.0.0:0", Worker: "w1"})
	open = strings.Replace(open, "0.0.0.0", "127.0.0.1", 1)
	if code, _ := get(t, open+"/cameras/cam-1/picture.jpg", ""); code != http.StatusForbidden {
		t.Errorf("live picture on 0.0.0.0 without a token: %d, want 403", code)
	}
	if code, _ := get(t, open+"/metrics", ""); code != http.StatusOK {
		t.Errorf("metrics without a token configured: %d, want 200", code)
	}
	lo := serve(t, Config{Address: "127.0.0.1:0", Worker: "w1"})
	if code, _ := get(t, lo+"/cameras/cam-1/picture.jpg", ""); code != http.StatusOK {
		t.Errorf("live picture on loopback without a token: %d, want 200", code)
	}
}

// TestReadTimeouts: the worker's server bounds how long a request may
// take to arrive (before: no ReadTimeout, a body that never came held the
// connection).
func TestReadTimeouts(t *testing.T) {
	t.Parallel()
	s, err := New(Config{Address: "127.0.0.1:0", Worker: "w1"}, Sources{Cameras: oneCamera{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.srv.ReadTimeout <= 0 || s.srv.ReadHeaderTimeout <= 0 {
		t.Fatalf("read timeouts %v / %v", s.srv.ReadTimeout, s.srv.ReadHeaderTimeout)
	}
}
