package model

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patrol-city/patrol/internal/detect"
	"github.com/patrol-city/patrol/internal/testkit/runtimes"
)

// runtimeLib returns libonnxruntime.so, failing the test when it cannot be
// pulled (the default backend needs it, so its absence is a setup error).
func runtimeLib(t testing.TB) string {
	t.Helper()
	p, err := runtimes.ONNXRuntime()
	if err != nil {
		t.Fatalf("onnxruntime library: %v", err)
	}
	return p
}

// backendConfigs returns one configuration per backend for the model at path.
func backendConfigs(t testing.TB, path string) map[string]Config {
	return map[string]Config{
		BackendONNXRuntime: {ModelPath: path, Backend: BackendONNXRuntime, RuntimeLibrary: runtimeLib(t)},
		BackendOpenCV:      {ModelPath: path, Backend: BackendOpenCV},
	}
}

// TestBackendsAgree runs both backends on the same real pictures: every
// detection of one has a twin in the other with the same label, a box of
// IoU >= 0.97 and a score within 0.02 (the two runtimes' float arithmetic
// differs in the last bits, so a detection right at the threshold may be
// on one side only: those are allowed when scored within 0.02 of it).
func TestBackendsAgree(t *testing.T) {
	path := modelPath(t)
	cfgs := backendConfigs(t, path)
	ortDet, err := NewDetector(cfgs[BackendONNXRuntime])
	if err != nil {
		t.Fatal(err)
	}
	defer ortDet.Close()
	cvDet, err := NewDetector(cfgs[BackendOpenCV])
	if err != nil {
		t.Fatal(err)
	}
	defer cvDet.Close()
	total := 0
	for _, name := range []string{"images/street.png", "images/dog.jpg", "images/bus.jpg", "images/person.jpg"} {
		a := detectFile(t, ortDet, name)
		b := detectFile(t, cvDet, name)
		t.Logf("%s: onnxruntime %d detections, opencv %d", name, len(a), len(b))
		total += len(a)
		unmatched(t, name, "onnxruntime", a, b)
		unmatched(t, name, "opencv", b, a)
	}
	if total == 0 {
		t.Fatal("no detections on any picture: nothing compared")
	}
}

// unmatched reports detections of a without a twin in b.
func unmatched(t *testing.T, pic, side string, a, b []detect.Detection) {
	t.Helper()
	thr := float32(DefaultScoreThreshold)
	for _, d := range a {
		best, iou := bestMatch(b, d.Label, d.Box)
		switch {
		case iou >= 0.97 && abs32(best.Score-d.Score) <= 0.02:
		case iou < 0.97 && d.Score < thr+0.02:
			// At the threshold: the other side may have it just below.
		default:
			t.Errorf("%s: %s %s %.3f %v: best twin %s %.3f %v IoU %.3f", pic, side, d.Label, d.Score, d.Box, best.Label, best.Score, best.Box, iou)
		}
	}
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// withRuntime fills the ONNX Runtime library into cfg when its backend
// (explicit or the default) needs it.
func withRuntime(t testing.TB, cfg Config) Config {
	t.Helper()
	if cfg.Backend == "" || cfg.Backend == BackendONNXRuntime {
		cfg.RuntimeLibrary = runtimeLib(t)
	}
	return cfg
}

// TestMissingRuntime: a library that is not there is an ErrRuntime naming
// the path, not a bad model and not an abort, and the same process can then
// load the real library. It runs in a fresh test process, since a library
// loaded by an earlier test stays loaded.
func TestMissingRuntime(t *testing.T) {
	path := modelPath(t)
	if os.Getenv("PATROL_TEST_FRESH_RUNTIME") == "" {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestMissingRuntime$", "-test.v")
		cmd.Env = append(os.Environ(), "PATROL_TEST_FRESH_RUNTIME=1")
		out, err := cmd.CombinedOutput()
		t.Logf("fresh process:\n%s", out)
		if err != nil || !strings.Contains(string(out), "--- PASS: TestMissingRuntime") {
			t.Fatalf("fresh process: %v", err)
		}
		return
	}
	missing := filepath.Join(t.TempDir(), "libonnxruntime.so")
	_, err := NewDetector(Config{ModelPath: path, RuntimeLibrary: missing})
	if !errors.Is(err, ErrRuntime) || errors.Is(err, ErrBadModel) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("missing library: %v, want ErrRuntime naming %s", err, missing)
	}
	t.Logf("error: %v", err)
	lib := runtimeLib(t)
	d, err := NewDetector(Config{ModelPath: path, RuntimeLibrary: lib})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	// A copy of the loaded library elsewhere is the same library; another
	// file is refused (one library per process).
	data, err := os.ReadFile(lib)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "libonnxruntime.so.copy")
	if err := os.WriteFile(cp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	d, err = NewDetector(Config{ModelPath: path, RuntimeLibrary: cp})
	if err != nil {
		t.Fatalf("a copy of the loaded library: %v", err)
	}
	d.Close()
	if _, err := NewDetector(Config{ModelPath: path, RuntimeLibrary: path}); !errors.Is(err, ErrRuntime) {
		t.Fatalf("another file as the library: %v, want ErrRuntime", err)
	}
}
