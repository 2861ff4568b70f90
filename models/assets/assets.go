// Package assets finds the files patrol needs but never commits (the model,
// demo and test imagery): in a local mirror ($PATROL_ASSET_MIRROR), in the
// local cache, or downloaded from the upstream address in a manifest, and
// always checked against the manifest's sha256.
package assets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// MirrorEnv names the environment variable of the local asset mirror: a
// directory with the same layout as the manifests' paths (models/...,
// testdata/...).
const MirrorEnv = "PATROL_ASSET_MIRROR"

// CacheEnv names the environment variable of the download cache (default
// ~/.cache/patrol/assets).
const CacheEnv = "PATROL_ASSET_CACHE"

// ErrChecksum is returned when a file does not match its manifest entry.
var ErrChecksum = errors.New("sha256 mismatch")

// Manifest lists files by their path under the mirror.
type Manifest struct {
	Files []File `json:"files"`
}

// File is one asset.
type File struct {
	// Path is relative to the mirror root, e.g. "models/yolox_nano.onnx".
	Path string `json:"path"`
	// URL is the upstream download address.
	URL string `json:"url"`
	// SHA256 is the lowercase hex digest of the file.
	SHA256  string `json:"sha256"`
	Size    int64  `json:"size"`
	License string `json:"license"`
	// Note is free text (origin, content).
	Note string `json:"note,omitempty"`
}

// ParseManifest decodes a JSON manifest.
func ParseManifest(raw []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("assets: manifest: %w", err)
	}
	for i, f := range m.Files {
		if f.Path == "" || len(f.SHA256) != 64 || f.Size <= 0 {
			return nil, fmt.Errorf("assets: manifest files[%d]: path, sha256 and size required", i)
		}
	}
	return &m, nil
}

// Fetcher resolves manifest files to local paths.
type Fetcher struct {
	// Mirror is a read-only directory checked first (default $PATROL_ASSET_MIRROR).
	Mirror string
	// Cache is where downloads go (default $PATROL_ASSET_CACHE or ~/.cache/patrol/assets).
	Cache string
	// Client downloads (default: http.Client with a 10 minute timeout).
	Client *http.Client
}

// DefaultFetcher returns a Fetcher configured from the environment.
func DefaultFetcher() *Fetcher {
	f := &Fetcher{Mirror: os.Getenv(MirrorEnv), Cache: os.Getenv(CacheEnv)}
	if f.Cache == "" {
		if home, err := os.UserHomeDir(); err == nil {
			f.Cache = filepath.Join(home, ".cache", "patrol", "assets")
		} else {
			f.Cache = filepath.Join(os.TempDir(), "patrol-assets")
		}
	}
	return f
}

// Root returns the directory under which the manifest's paths resolve, once
// every file is present there: the mirror when it holds them all, else the
// cache after Ensure.
func (f *Fetcher) Root(ctx context.Context, m *Manifest) (string, error) {
	if f.Mirror != "" {
		ok := true
		for _, file := range m.Files {
			if err := verify(filepath.Join(f.Mirror, file.Path), file); err != nil {
				ok = false
				break
			}
		}
		if ok {
			return f.Mirror, nil
		}
	}
	for _, file := range m.Files {
		if _, err := f.Ensure(ctx, file); err != nil {
			return "", err
		}
	}
	if f.Mirror != "" {
		// Some files came from the mirror, others were downloaded: make the
		// cache complete so one root serves all.
		for _, file := range m.Files {
			if err := f.copyToCache(file); err != nil {
				return "", err
			}
		}
	}
	return f.Cache, nil
}

// Ensure returns a local path holding file with the right checksum: in the
// mirror, in the cache, or downloaded into the cache.
func (f *Fetcher) Ensure(ctx context.Context, file File) (string, error) {
	var mirrorErr error
	if f.Mirror != "" {
		p := filepath.Join(f.Mirror, file.Path)
		if mirrorErr = verify(p, file); mirrorErr == nil {
			return p, nil
		}
	}
	cached := filepath.Join(f.Cache, file.Path)
	if verify(cached, file) == nil {
		return cached, nil
	}
	if err := f.download(ctx, file, cached); err != nil {
		hint := fmt.Sprintf("set %s to a directory holding %s", MirrorEnv, file.Path)
		if mirrorErr != nil {
			hint += fmt.Sprintf(" (the mirror's copy: %v)", mirrorErr)
		}
		return "", fmt.Errorf("assets: %s from %s: %w; %s", file.Path, file.URL, err, hint)
	}
	return cached, nil
}

func (f *Fetcher) copyToCache(file File) error {
	dst := filepath.Join(f.Cache, file.Path)
	if verify(dst, file) == nil {
		return nil
	}
	src, err := os.Open(filepath.Join(f.Mirror, file.Path))
	if err != nil {
		return fmt.Errorf("assets: %w", err)
	}
	defer src.Close()
	return writeVerified(src, dst, file)
}

func (f *Fetcher) download(ctx context.Context, file File, dst string) error {
	if file.URL == "" {
		return errors.New("no upstream address")
	}
	client := f.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Minute}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, file.URL, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("http status %s", resp.Status)
	}
	return writeVerified(io.LimitReader(resp.Body, file.Size+1), dst, file)
}

// writeVerified writes r to dst atomically, only when its digest matches.
func writeVerified(r io.Reader, dst string, file File) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".part-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != file.SHA256 || n != file.Size {
		return fmt.Errorf("%w: got %s (%d bytes), want %s (%d bytes)", ErrChecksum, got, n, file.SHA256, file.Size)
	}
	return os.Rename(tmp.Name(), dst)
}

// verify checks that path holds the file.
func verify(path string, file File) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return err
	}
	if st.Size() != file.Size {
		return fmt.Errorf("%s: %w: size %d, want %d", path, ErrChecksum, st.Size(), file.Size)
	}
	got, err := SHA256File(path)
	if err != nil {
		return err
	}
	if got != file.SHA256 {
		return fmt.Errorf("%s: %w: got %s, want %s", path, ErrChecksum, got, file.SHA256)
	}
	return nil
}

// SHA256File returns the lowercase hex sha256 of a file.
func SHA256File(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
