package evidence

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestDirPutGet(t *testing.T) {
	root := t.TempDir()
	d, err := NewDir(root, "")
	if err != nil {
		t.Fatal(err)
	}
	if d.Bucket() != DefaultBucket {
		t.Errorf("Bucket() = %q, want %q", d.Bucket(), DefaultBucket)
	}
	ctx := context.Background()
	obj := Object{Key: "cam1/2025-01-02/case-1/clip.mp4", ContentType: "video/mp4", Data: []byte("clip bytes")}
	st, err := d.Put(ctx, obj)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(obj.Data)
	wantPath := filepath.Join(root, DefaultBucket, "cam1", "2025-01-02", "case-1", "clip.mp4")
	want := Stored{Bucket: DefaultBucket, Key: obj.Key, SHA256: hex.EncodeToString(sum[:]), Size: 10,
		ContentType: "video/mp4", URL: wantPath}
	if st != want {
		t.Errorf("stored %+v, want %+v", st, want)
	}
	if data, err := os.ReadFile(wantPath); err != nil || !bytes.Equal(data, obj.Data) {
		t.Fatalf("file: %q, %v", data, err)
	}
	if fi, err := os.Stat(wantPath); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("file mode %v, %v", fi.Mode(), err)
	}
	if data, err := d.Get(ctx, obj.Key); err != nil || !bytes.Equal(data, obj.Data) {
		t.Fatalf("get: %q, %v", data, err)
	}
	// Replace, and an empty object with the default content type.
	if _, err := d.Put(ctx, Object{Key: obj.Key, Data: []byte("v2")}); err != nil {
		t.Fatal(err)
	}
	if data, _ := d.Get(ctx, obj.Key); string(data) != "v2" {
		t.Errorf("after replace: %q", data)
	}
	if st, err := d.Put(ctx, Object{Key: "empty"}); err != nil || st.ContentType != DefaultContentType || st.Size != 0 {
		t.Errorf("empty object: %+v, %v", st, err)
	}
	if _, err := d.Get(ctx, "cam1/nothing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("get missing: %v, want ErrNotFound", err)
	}
	// No temporary files are left behind.
	_ = filepath.WalkDir(root, func(p string, e os.DirEntry, _ error) error {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("leftover %s", p)
		}
		return nil
	})
	// A new Dir on the same root sees the objects.
	d2, err := NewDir(root, DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	if data, _ := d2.Get(ctx, obj.Key); string(data) != "v2" {
		t.Errorf("second Dir: %q", data)
	}
}

func TestDirConcurrentPuts(t *testing.T) {
	d, err := NewDir(t.TempDir(), "bucket-1")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			data := bytes.Repeat(fmt.Appendf(nil, "%02d", i), 50000)
			if _, err := d.Put(context.Background(), Object{Key: "same/key", Data: data}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	data, err := d.Get(context.Background(), "same/key")
	if err != nil || len(data) != 100000 || !bytes.Equal(data, bytes.Repeat(data[:2], 50000)) {
		t.Fatalf("torn or missing object: %d bytes, %v", len(data), err)
	}
}

func TestDirRejects(t *testing.T) {
	root := t.TempDir()
	if _, err := NewDir("", "x"); err == nil {
		t.Error("NewDir without root succeeded")
	}
	if _, err := NewDir(root, "Bad_Bucket"); err == nil {
		t.Error("NewDir with a bad bucket succeeded")
	}
	d, err := NewDir(root, "evid")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, key := range []string{"", "/abs", "a//b", "a/", "../x", "a/../../x", "./a", "a\\b", "a\x00b", "\xff",
		strings.Repeat("k", MaxKeyLen+1)} {
		if _, err := d.Put(ctx, Object{Key: key, Data: []byte("x")}); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("put %q: %v, want ErrInvalidKey", key, err)
		}
		if _, err := d.Get(ctx, key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("get %q: %v, want ErrInvalidKey", key, err)
		}
	}
	// A symbolic link inside the bucket must not lead writes outside it.
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(root, "evid", "link")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Put(ctx, Object{Key: "link/escape", Data: []byte("x")}); err == nil {
		t.Error("put through a symlink out of the bucket succeeded")
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("wrote outside the bucket: %v", entries)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.Put(cancelled, Object{Key: "k"}); !errors.Is(err, context.Canceled) {
		t.Errorf("put with a cancelled context: %v", err)
	}
}
