package detect

import (
	"os"
	"path/filepath"
	"testing"
)

// assetDir returns the shared asset mirror: $PATROL_ASSET_MIRROR, or
// ../shared relative to the module root (../../shared from this package).
func assetDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("PATROL_ASSET_MIRROR")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatalf("asset dir %q: %v", dir, err)
	}
	return abs
}

// modelPath returns the YOLOX-Nano model, skipping the test if it is missing.
func modelPath(t testing.TB) string {
	t.Helper()
	p := filepath.Join(assetDir(t), "models", "yolox_nano.onnx")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("model not available: %v", err)
	}
	return p
}

// testdataPath returns a file under the shared testdata, skipping the test
// if it is missing.
func testdataPath(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(assetDir(t), "testdata", filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Skipf("test data not available: %v", err)
	}
	return p
}
