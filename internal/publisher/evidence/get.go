package evidence

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/minio/minio-go/v7"
)

// Reader is a stored object opened for reading: its bytes, readable from
// any offset (an io.ReadSeeker, so that http.ServeContent answers range
// requests), and what the store knows about it. Close it when done.
type Reader struct {
	io.ReadSeekCloser
	// Size is the object's size in bytes.
	Size int64
	// ContentType is the stored content type (empty when the store does
	// not keep one, as Dir).
	ContentType string
	// ModTime is when the object was stored.
	ModTime time.Time
}

// Opener opens stored objects for reading; *S3 and *Dir implement it.
type Opener interface {
	// Open opens the object stored under key (ErrNotFound if there is
	// none). For S3, ctx bounds the whole reading, not only the call.
	Open(ctx context.Context, key string) (*Reader, error)
	// Bucket is the bucket objects are read from.
	Bucket() string
}

// Open implements Opener with minio-go's GetObject: the object is
// streamed (nothing is buffered whole) and seeking starts a ranged
// request. ctx bounds the reading until Close.
func (s *S3) Open(ctx context.Context, key string) (*Reader, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	o, err := s.client.GetObject(ctx, s.cfg.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.wrap("get", key, err)
	}
	info, err := o.Stat() // the first request: a missing key fails here
	if err != nil {
		_ = o.Close()
		return nil, s.wrap("get", key, err)
	}
	return &Reader{ReadSeekCloser: o, Size: info.Size, ContentType: info.ContentType, ModTime: info.LastModified}, nil
}

// Open implements Opener: the object's file, opened through an os.Root so
// that no key leaves the bucket directory.
func (d *Dir) Open(ctx context.Context, key string) (*Reader, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(d.dir)
	if err != nil {
		return nil, fmt.Errorf("evidence: dir: %w", err)
	}
	defer root.Close()
	f, err := root.Open(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("evidence: dir: get %s/%s: %w", d.bucket, key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("evidence: dir: get %s/%s: %w", d.bucket, key, err)
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		_ = f.Close()
		return nil, fmt.Errorf("evidence: dir: get %s/%s: %w", d.bucket, key, ErrNotFound)
	}
	return &Reader{ReadSeekCloser: f, Size: st.Size(), ModTime: st.ModTime()}, nil
}
