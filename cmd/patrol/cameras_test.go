package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCamerasApplyValidates: apply checks the cameras file against the
// worker configuration's rules before it asks Kafka anything, with the
// configuration's field paths (the broker here does not exist).
func TestCamerasApplyValidates(t *testing.T) {
	dir := t.TempDir()
	worker := filepath.Join(dir, "worker.yaml")
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("worker.yaml", `cluster: {enabled: true}
kafka: {brokers: ["127.0.0.1:1"]}
evidence: {kind: dir, dir: `+dir+`}
rules:
  - {id: parking, code: "0505", classes: [car]}
`)
	for _, tc := range []struct {
		name, file, want string
	}{
		{"unknown rule", "cameras:\n  - id: c1\n    url: rtsp://10.0.0.1/s\n    zones: [{id: z1, polygon: [[0,0],[1,0],[1,1]], rules: [vending]}]\n",
			`cameras[0].zones[0].rules[0]: unknown rule "vending"`},
		{"bad url", "cameras:\n  - id: c1\n    url: http://10.0.0.1/s\n", `cameras[0].url: scheme "http" not supported`},
		{"escaping id", "cameras:\n  - id: ../c1\n    url: rtsp://10.0.0.1/s\n", `cameras[0].id`},
		{"duplicate id", "cameras:\n  - {id: c1, url: rtsp://10.0.0.1/a}\n  - {id: c1, url: rtsp://10.0.0.1/b}\n", `cameras[1].id: duplicate camera id "c1"`},
		{"unknown field", "cameras:\n  - id: c1\n    url: rtsp://10.0.0.1/s\n    zone: []\n", `field zone not found`},
		{"polygon", "cameras:\n  - id: c1\n    url: rtsp://10.0.0.1/s\n    zones: [{id: z1, polygon: [[0,0],[2,0]], rules: [parking]}]\n",
			`cameras[0].zones[0].polygon: need at least 3 points`},
		{"empty", "cameras: []\n", `need at least one camera`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := write("cameras.yaml", tc.file)
			err := cmdCameras(context.Background(), []string{"apply", "-config", worker, "-f", f})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
