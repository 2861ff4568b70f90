// Package evidence stores evidence objects (clips, snapshots) in object storage.
package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// DefaultBucket is the bucket used when none is configured.
const DefaultBucket = "patrol-evidence"

// DefaultContentType is stored for an Object without a ContentType.
const DefaultContentType = "application/octet-stream"

// MaxKeyLen is the longest object key accepted, in bytes (the S3 limit).
const MaxKeyLen = 1024

// ErrNotFound is returned (wrapped) by Get and Stat for a key that is not
// stored.
var ErrNotFound = errors.New("evidence: object not found")

// ErrInvalidKey is returned (wrapped) for an object key that is not accepted;
// see Object.Key.
var ErrInvalidKey = errors.New("evidence: invalid object key")

// Object is one piece of evidence to store.
type Object struct {
	// Key names the object within the bucket: slash-separated segments, none
	// of them empty, "." or "..", in valid UTF-8 without control characters,
	// at most MaxKeyLen bytes in all; for example "cam1/2025-01-02/case/clip.mp4".
	// The same rules hold for every Store so that keys are portable.
	Key string
	// ContentType is the media type, e.g. "video/mp4"; empty means
	// DefaultContentType.
	ContentType string
	// Data is the object's content; it may be empty.
	Data []byte
}

// Stored describes an object after it was stored.
type Stored struct {
	// Bucket and Key locate the object.
	Bucket, Key string
	// SHA256 is the lowercase hex SHA-256 of the data, computed locally.
	SHA256 string
	// Size is the data length in bytes.
	Size int64
	// ContentType is the stored media type.
	ContentType string
	// URL optionally locates the object for a reader: a presigned GET URL
	// (S3, when S3Config.PresignExpiry is set) or a file path (Dir); empty
	// otherwise.
	URL string
}

// Store keeps evidence objects. Implementations are safe for concurrent use.
type Store interface {
	// Put stores obj under obj.Key, replacing any object with that key, and
	// returns where and what was stored.
	Put(ctx context.Context, obj Object) (Stored, error)
	// Bucket is the bucket (or directory name) objects are stored in.
	Bucket() string
}

var (
	_ Store = (*S3)(nil)
	_ Store = (*Dir)(nil)
)

// checkKey validates an object key; see Object.Key.
func checkKey(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return fmt.Errorf("%w: length %d, want 1..%d", ErrInvalidKey, len(key), MaxKeyLen)
	}
	if !utf8.ValidString(key) {
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidKey, key)
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fmt.Errorf("%w: %q has a control character or backslash", ErrInvalidKey, key)
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %q has an empty, \".\" or \"..\" segment", ErrInvalidKey, key)
		}
	}
	return nil
}

// describe checks obj and returns its Stored description (without URL).
func describe(bucket string, obj Object) (Stored, error) {
	if err := checkKey(obj.Key); err != nil {
		return Stored{}, err
	}
	sum := sha256.Sum256(obj.Data)
	ct := obj.ContentType
	if ct == "" {
		ct = DefaultContentType
	}
	return Stored{Bucket: bucket, Key: obj.Key, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(obj.Data)), ContentType: ct}, nil
}
