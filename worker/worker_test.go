package worker

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patrol-city/patrol/config"
	"github.com/patrol-city/patrol/detect/model"
	"github.com/patrol-city/patrol/publisher/evidence"
	"github.com/patrol-city/patrol/testkit/testenv"
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
			_, err := New(context.Background(), cfg, Deps{Store: store, Cases: discard{}})
			if err == nil {
				t.Fatal("worker started with a bad model")
			}
			if !strings.Contains(err.Error(), path) || !errors.Is(err, model.ErrBadModel) {
				t.Fatalf("error %q does not name %s as a bad model", err, path)
			}
		})
	}
}
