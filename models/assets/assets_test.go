package assets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patrol-city/patrol/internal/testkit/testenv"
)

func fileFor(data []byte, path, url string) File {
	h := sha256.Sum256(data)
	return File{Path: path, URL: url, SHA256: hex.EncodeToString(h[:]), Size: int64(len(data))}
}

func TestEnsure(t *testing.T) {
	good := []byte("the real model bytes")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/good":
			_, _ = w.Write(good) // a failed write is the client's failed download
		case "/bad":
			_, _ = w.Write([]byte("something else entirely"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	mirror := t.TempDir()
	if err := os.MkdirAll(filepath.Join(mirror, "models"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"m.onnx": good, "truncated.onnx": good[:5]} {
		if err := os.WriteFile(filepath.Join(mirror, "models", name), data, 0o444); err != nil {
			t.Fatal(err)
		}
	}

	for _, tc := range []struct {
		name, path, url, mirror string
		wantIn                  string // "mirror" or "cache"
		wantErr                 []string
	}{
		{"from mirror", "models/m.onnx", srv.URL + "/bad", mirror, "mirror", nil},
		{"download", "models/x.onnx", srv.URL + "/good", "", "cache", nil},
		{"mirror truncated, download ok", "models/truncated.onnx", srv.URL + "/good", mirror, "cache", nil},
		{"checksum mismatch", "models/y.onnx", srv.URL + "/bad", "", "", []string{"models/y.onnx", srv.URL + "/bad", "sha256 mismatch", MirrorEnv}},
		{"not found", "models/z.onnx", srv.URL + "/missing", mirror, "", []string{"models/z.onnx", "404", MirrorEnv}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &Fetcher{Mirror: tc.mirror, Cache: t.TempDir()}
			p, err := f.Ensure(context.Background(), fileFor(good, tc.path, tc.url))
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("no error, path %s", p)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				if strings.Contains(tc.name, "checksum") && !errors.Is(err, ErrChecksum) {
					t.Errorf("error is not ErrChecksum: %v", err)
				}
				if _, serr := os.Stat(filepath.Join(f.Cache, tc.path)); serr == nil {
					t.Errorf("a bad download was left in the cache")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			root := f.Cache
			if tc.wantIn == "mirror" {
				root = f.Mirror
			}
			if p != filepath.Join(root, tc.path) {
				t.Fatalf("path = %s, want under %s", p, root)
			}
			b, _ := os.ReadFile(p)
			if string(b) != string(good) {
				t.Fatal("content differs")
			}
		})
	}
}

func TestTestdataManifestMatchesMirror(t *testing.T) {
	m := Testdata()
	if len(m.Files) < 5 {
		t.Fatalf("manifest has %d files", len(m.Files))
	}
	mirror := os.Getenv(MirrorEnv)
	if mirror == "" {
		mirror = testenv.Mirror()
	}
	if _, err := os.Stat(mirror); err != nil {
		t.Skipf("no asset mirror at %s", mirror)
	}
	for _, f := range m.Files {
		if err := verify(filepath.Join(mirror, f.Path), f); err != nil {
			t.Errorf("%s: %v", f.Path, err)
		}
	}
}
