package evidence

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

// parseS3URL turns "http://ACCESS:SECRET@host:port" (https for Secure) into
// an S3Config.
func parseS3URL(raw string) (S3Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return S3Config{}, errors.New("PATROL_TEST_S3 is not a URL") // the URL holds the secret
	}
	secret, ok := u.User.Password()
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User.Username() == "" || !ok {
		return S3Config{}, errors.New("PATROL_TEST_S3 must look like http://ACCESS:SECRET@host:port")
	}
	return S3Config{Endpoint: u.Host, AccessKey: u.User.Username(), SecretKey: secret, Secure: u.Scheme == "https"}, nil
}

// testS3Config returns the test server's config with a bucket of its own,
// removed with its objects when the test ends.
func testS3Config(t *testing.T) S3Config {
	t.Helper()
	raw := os.Getenv("PATROL_TEST_S3")
	if raw == "" {
		if os.Getenv("PATROL_TEST_SKIP_SERVICES") == "1" {
			t.Skip("PATROL_TEST_SKIP_SERVICES=1: no S3 server")
		}
		t.Fatal("PATROL_TEST_S3 is not set: run `make test`, or start MinIO (deploy/testenv/services.sh start) " +
			"and set PATROL_TEST_S3=http://ACCESS:SECRET@127.0.0.1:19000; PATROL_TEST_SKIP_SERVICES=1 skips these tests")
	}
	cfg, err := parseS3URL(raw)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-"))
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	cfg.Bucket = strings.Trim(fmt.Sprintf("pt-%.40s", name), "-") + "-" + hex.EncodeToString(rnd[:])
	t.Cleanup(func() { removeBucket(t, cfg) })
	return cfg
}

func removeBucket(t *testing.T, cfg S3Config) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := NewS3(ctx, S3Config{Endpoint: cfg.Endpoint, AccessKey: cfg.AccessKey, SecretKey: cfg.SecretKey,
		Secure: cfg.Secure, Bucket: cfg.Bucket, SkipCreateBucket: true})
	if err != nil {
		return // never created
	}
	for o := range s.client.ListObjects(ctx, cfg.Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err == nil {
			_ = s.client.RemoveObject(ctx, cfg.Bucket, o.Key, minio.RemoveObjectOptions{})
		}
	}
	if err := s.client.RemoveBucket(ctx, cfg.Bucket); err != nil {
		t.Logf("remove bucket %s: %v", cfg.Bucket, err)
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestS3CreatesBucket(t *testing.T) {
	cfg := testS3Config(t)
	ctx := testCtx(t)

	skip := cfg
	skip.SkipCreateBucket = true
	if _, err := NewS3(ctx, skip); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("SkipCreateBucket on a missing bucket: %v", err)
	}
	// Several stores racing to create the same bucket all succeed.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { _, errs[i] = NewS3(ctx, cfg) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	s, err := NewS3(ctx, skip)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s.client.BucketExists(ctx, cfg.Bucket); !ok || err != nil {
		t.Fatalf("bucket %s exists=%v err=%v", cfg.Bucket, ok, err)
	}
	if s.Bucket() != cfg.Bucket {
		t.Errorf("Bucket() = %q", s.Bucket())
	}
}

func TestS3PutGet(t *testing.T) {
	cfg := testS3Config(t)
	cfg.PresignExpiry = time.Hour
	ctx := testCtx(t)
	s, err := NewS3(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 20<<20) // above minio-go's 16 MiB multipart threshold
	_, _ = rand.Read(big)
	for _, obj := range []Object{
		{Key: "cam1/2025-01-02/case-1/clip.mp4", ContentType: "video/mp4", Data: []byte("not really an mp4")},
		{Key: "cam1/2025-01-02/case-1/snapshot.jpg", ContentType: "image/jpeg", Data: big},
		{Key: "empty", Data: nil},
	} {
		st, err := s.Put(ctx, obj)
		if err != nil {
			t.Fatalf("put %s: %v", obj.Key, err)
		}
		sum := sha256.Sum256(obj.Data)
		want := Stored{Bucket: cfg.Bucket, Key: obj.Key, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(obj.Data)),
			ContentType: obj.ContentType}
		if want.ContentType == "" {
			want.ContentType = DefaultContentType
		}
		got := st
		got.URL = ""
		if got != want {
			t.Errorf("put %s: stored %+v, want %+v", obj.Key, got, want)
		}
		data, err := s.Get(ctx, obj.Key)
		if err != nil || !bytes.Equal(data, obj.Data) {
			t.Fatalf("get %s: %d bytes, %v", obj.Key, len(data), err)
		}
		meta, err := s.Stat(ctx, obj.Key)
		if err != nil || meta != want {
			t.Errorf("stat %s: %+v, %v; want %+v", obj.Key, meta, err, want)
		}
		resp, err := http.Get(st.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, obj.Data) {
			t.Errorf("presigned GET %s: %s, %d bytes", obj.Key, resp.Status, len(body))
		}
	}
	// Replacing an object.
	if _, err := s.Put(ctx, Object{Key: "empty", Data: []byte("now full")}); err != nil {
		t.Fatal(err)
	}
	if data, err := s.Get(ctx, "empty"); err != nil || string(data) != "now full" {
		t.Errorf("after replace: %q, %v", data, err)
	}
	if _, err := s.Get(ctx, "missing/key"); !errors.Is(err, ErrNotFound) {
		t.Errorf("get missing: %v, want ErrNotFound", err)
	}
	if _, err := s.Stat(ctx, "missing/key"); !errors.Is(err, ErrNotFound) {
		t.Errorf("stat missing: %v, want ErrNotFound", err)
	}
	if _, err := s.Put(ctx, Object{Key: "a/../b"}); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("bad key: %v, want ErrInvalidKey", err)
	}
}

func TestS3BadCredentials(t *testing.T) {
	cfg := testS3Config(t)
	realSecret := cfg.SecretKey
	for _, tc := range []struct{ name, access, secret string }{
		{"wrong secret", cfg.AccessKey, "wrong-Secret-7f3a9c"},
		{"unknown access key", "nobody-here", "also-Wrong-2b8d1e"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := cfg
			bad.AccessKey, bad.SecretKey = tc.access, tc.secret
			_, err := NewS3(testCtx(t), bad)
			if err == nil {
				t.Fatal("NewS3 with bad credentials succeeded")
			}
			if !errors.Is(err, ErrAuth) {
				t.Errorf("error %q is not ErrAuth", err)
			}
			if msg := err.Error(); strings.Contains(msg, tc.secret) || strings.Contains(msg, realSecret) {
				t.Errorf("error shows a secret: %s", msg)
			}
			if s := fmt.Sprint(bad); strings.Contains(s, tc.secret) {
				t.Errorf("String shows the secret: %s", s)
			}
			t.Log(err)
		})
	}
}

func TestS3ConfigErrors(t *testing.T) {
	const secret = "Top-Secret-91c2"
	good := S3Config{Endpoint: "127.0.0.1:1", AccessKey: "ak", SecretKey: secret}
	for name, mod := range map[string]func(*S3Config){
		"no endpoint":      func(c *S3Config) { c.Endpoint = "" },
		"scheme":           func(c *S3Config) { c.Endpoint = "http://127.0.0.1:9000" },
		"no port":          func(c *S3Config) { c.Endpoint = "127.0.0.1" },
		"no access key":    func(c *S3Config) { c.AccessKey = "" },
		"no secret key":    func(c *S3Config) { c.SecretKey = "" },
		"bad bucket":       func(c *S3Config) { c.Bucket = "Bad_Bucket" },
		"long presign":     func(c *S3Config) { c.PresignExpiry = 8 * 24 * time.Hour },
		"negative presign": func(c *S3Config) { c.PresignExpiry = -time.Second },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := good
			mod(&cfg)
			_, err := NewS3(context.Background(), cfg)
			if err == nil || strings.Contains(err.Error(), secret) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}
