package model

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/testkit/testenv"
)

// modelPath returns the YOLOX-Nano model, skipping the test if it is missing.
func modelPath(t testing.TB) string {
	t.Helper()
	p := filepath.Join(testenv.Mirror(), "models", "yolox_nano.onnx")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("model not available: %v", err)
	}
	return p
}

// testdataPath returns a file under the shared testdata, skipping the test
// if it is missing.
func testdataPath(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(testenv.Mirror(), "testdata", filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Skipf("test data not available: %v", err)
	}
	return p
}

var t0 = time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
