package evidence

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// Dir is a Store in a local directory, for demos and single-host setups:
// an object is the file Root/Bucket/Key (key segments become directories).
// Files are written atomically (temporary file, fsync, rename, fsync of the
// directory) with mode 0640, directories with mode 0750; all access goes
// through an os.Root, so no key or symbolic link reaches outside the bucket
// directory. Content types are not kept. It is safe for concurrent use.
type Dir struct {
	dir    string // absolute Root/Bucket
	bucket string
}

// NewDir returns a Dir under root (required) that keeps objects in the
// directory root/bucket, creating it if needed. An empty bucket means
// DefaultBucket; a bucket must be a valid S3 bucket name, so that a Dir and
// an S3 store name objects alike.
func NewDir(root, bucket string) (*Dir, error) {
	if root == "" {
		return nil, errors.New("evidence: dir: root directory is required")
	}
	if bucket == "" {
		bucket = DefaultBucket
	}
	if err := s3utils.CheckValidBucketNameStrict(bucket); err != nil {
		return nil, fmt.Errorf("evidence: dir: bucket %q: %w", bucket, err)
	}
	abs, err := filepath.Abs(filepath.Join(root, bucket))
	if err != nil {
		return nil, fmt.Errorf("evidence: dir: %w", err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("evidence: dir: %w", err)
	}
	return &Dir{dir: abs, bucket: bucket}, nil
}

// Bucket returns the bucket (directory name under the root).
func (d *Dir) Bucket() string { return d.bucket }

// Path returns the file that holds (or would hold) the object under key.
func (d *Dir) Path(key string) string { return filepath.Join(d.dir, filepath.FromSlash(key)) }

// Put writes obj atomically to its file, replacing any previous one, and
// returns its description with URL set to the file's absolute path.
func (d *Dir) Put(ctx context.Context, obj Object) (Stored, error) {
	st, err := describe(d.bucket, obj)
	if err != nil {
		return Stored{}, err
	}
	if err := ctx.Err(); err != nil {
		return Stored{}, err
	}
	root, err := os.OpenRoot(d.dir)
	if err != nil {
		return Stored{}, fmt.Errorf("evidence: dir: %w", err)
	}
	defer root.Close()
	if err := writeAtomic(root, obj.Key, obj.Data); err != nil {
		return Stored{}, fmt.Errorf("evidence: dir: put %s/%s: %w", d.bucket, obj.Key, err)
	}
	st.URL = d.Path(obj.Key)
	return st, nil
}

func writeAtomic(root *os.Root, key string, data []byte) (err error) {
	parent := path.Dir(key)
	if err := root.MkdirAll(parent, 0o750); err != nil {
		return err
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := path.Join(parent, "."+path.Base(key)+".tmp-"+hex.EncodeToString(rnd[:]))
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = root.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := root.Rename(tmp, key); err != nil {
		return err
	}
	dir, err := root.Open(parent)
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}

// Get reads the object stored under key (ErrNotFound if there is none).
func (d *Dir) Get(_ context.Context, key string) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(d.dir)
	if err != nil {
		return nil, fmt.Errorf("evidence: dir: %w", err)
	}
	defer root.Close()
	data, err := root.ReadFile(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("evidence: dir: get %s/%s: %w", d.bucket, key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("evidence: dir: get %s/%s: %w", d.bucket, key, err)
	}
	return data, nil
}
