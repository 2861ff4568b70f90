package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunRefusesEscapingID: a camera id copied from a wiki (../victim) fails
// `patrol run` at start-up naming the field, and a file planted where the id
// points (data_dir/victim, outside data_dir/history) is still there.
func TestRunRefusesEscapingID(t *testing.T) {
	base := t.TempDir()
	data := filepath.Join(base, "data")
	victim := filepath.Join(data, "victim")
	if err := os.MkdirAll(victim, 0o755); err != nil {
		t.Fatal(err)
	}
	planted := filepath.Join(victim, "keep.txt")
	if err := os.WriteFile(planted, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := `data_dir: ` + data + `
cameras:
  - id: ../victim
    url: rtsp://127.0.0.1:1/x
    zones:
      - id: z1
        polygon: [[0.1,0.5],[0.9,0.5],[0.9,1.0]]
        rules: [parking]
rules:
  - id: parking
    code: "0505"
    name: 机动车乱停放
    classes: [car]
kafka:
  brokers: [127.0.0.1:1]
evidence:
  kind: dir
  dir: ` + filepath.Join(base, "evidence") + `
`
	path := filepath.Join(base, "patrol.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := cmdRun(ctx, []string{"-config", path, "-log-level", "error"})
	if err == nil || !strings.Contains(err.Error(), "cameras[0].id") {
		t.Fatalf("patrol run = %v, want an error naming cameras[0].id", err)
	}
	if _, serr := os.Stat(planted); serr != nil {
		t.Fatalf("file planted in data_dir/victim is gone: %v", serr)
	}
}
