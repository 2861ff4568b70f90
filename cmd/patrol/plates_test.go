package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/testkit/runtimes"
	"github.com/patrol-city/patrol/internal/testkit/testenv"
	"github.com/patrol-city/patrol/internal/worker"
)

// TestPlatesCommand runs `patrol plates -json`'s reading on the six
// labelled pictures of testdata/plates: the vehicles found by the
// detector (or the whole picture), each plate read equal to the label or
// null with a reason, and "n of 6" read (a smoke test).
func TestPlatesCommand(t *testing.T) {
	dir := filepath.Join(testenv.Mirror(), "testdata", "plates")
	raw, err := os.ReadFile(filepath.Join(dir, "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	var labels []struct{ File, Plate string }
	if err := json.Unmarshal(raw, &labels); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	f := runtimes.Fetcher(testenv.Mirror())
	cfg := &config.Config{}
	cfg.ApplyDefaults()
	cfg.Model.Workers = 1
	dets, _, closeDets, err := worker.Detectors(ctx, cfg, f)
	if err != nil {
		t.Fatal(err)
	}
	defer closeDets()
	r, err := newPlateReader(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	read := 0
	for _, l := range labels {
		var out bytes.Buffer
		if err := readPlates(&out, filepath.Join(dir, l.File), dets[0], r, true); err != nil {
			t.Fatal(err)
		}
		got := false
		for _, line := range bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n")) {
			var p plateLine
			if err := json.Unmarshal(line, &p); err != nil {
				t.Fatalf("%s: %q: %v", l.File, line, err)
			}
			switch {
			case p.Plate == nil && p.Reason == "":
				t.Errorf("%s: null plate without a reason", l.File)
			case p.Plate != nil && *p.Plate != l.Plate:
				t.Errorf("%s: %s read, the label is %s: a wrong plate", l.File, *p.Plate, l.Plate)
			case p.Plate != nil:
				got = true
			}
		}
		if got {
			read++
		}
		t.Logf("%s", bytes.TrimSpace(out.Bytes()))
	}
	t.Logf("read %d of %d labelled plates; none wrong", read, len(labels))
	if read < 5 {
		t.Errorf("read %d of 6, want at least 5", read)
	}
	if err := readPlates(&bytes.Buffer{}, filepath.Join(t.TempDir(), "missing.jpg"), dets[0], r, true); err == nil {
		t.Error("a missing picture read")
	}
}

// TestBenchPlateSmoke runs `patrol bench plate -rounds 1`.
func TestBenchPlateSmoke(t *testing.T) {
	if err := cmdBenchPlate(context.Background(), []string{"-rounds", "1"}); err != nil {
		t.Fatal(err)
	}
	if err := cmdBenchPlate(context.Background(), []string{"-rounds", "0"}); err == nil {
		t.Error("-rounds 0 accepted")
	}
}
