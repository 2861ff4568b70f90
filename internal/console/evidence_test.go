package console

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
)

// testS3 is the real MinIO of the tests with a bucket of the test's own.
func testS3(t *testing.T) *evidence.S3 {
	t.Helper()
	raw := os.Getenv("PATROL_TEST_S3")
	if raw == "" {
		if os.Getenv("PATROL_TEST_SKIP_SERVICES") == "1" {
			t.Skip("PATROL_TEST_SKIP_SERVICES=1: no S3")
		}
		t.Fatal("PATROL_TEST_S3 is not set: run `make test` or deploy/testenv/services.sh start")
	}
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		t.Fatal("PATROL_TEST_S3 must look like http://ACCESS:SECRET@host:port")
	}
	pass, _ := u.User.Password()
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bucket := "console-test-" + hex.EncodeToString(rnd[:])
	s3, err := evidence.NewS3(ctx, evidence.S3Config{Endpoint: u.Host, AccessKey: u.User.Username(), SecretKey: pass,
		Secure: u.Scheme == "https", Bucket: bucket})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		mc, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4(u.User.Username(), pass, ""), Secure: u.Scheme == "https"})
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for o := range mc.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
			_ = mc.RemoveObject(ctx, bucket, o.Key, minio.RemoveObjectOptions{})
		}
		_ = mc.RemoveBucket(ctx, bucket)
	})
	return s3
}

// TestEvidenceStreaming: the console streams a known case's objects from
// the real MinIO with its own credentials, with range requests for the
// clip; it serves nothing else (other names, other cases, objects
// missing from the store), and its pages never show a bucket key.
func TestEvidenceStreaming(t *testing.T) {
	t.Parallel()
	store := testS3(t)
	cfg := testConfig(t, kafkaAddr(t))
	r := startConsole(t, cfg, Deps{Evidence: store})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	t0 := time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	var w wireCase
	_ = json.Unmarshal(testCase("c-ev", "cam-1", "z1", cases.EventOpened, 1, t0), &w)
	clip := make([]byte, 200_000)
	_, _ = rand.Read(clip)
	for i := range w.Evidence {
		w.Evidence[i].Bucket = store.Bucket()
		if w.Evidence[i].Kind == "clip" {
			if _, err := store.Put(ctx, evidence.Object{Key: w.Evidence[i].Key, Data: clip, ContentType: "video/mp4"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	keys := []string{}
	for _, e := range w.Evidence {
		keys = append(keys, e.Key)
	}
	// A case whose objects are in another bucket.
	var other wireCase
	_ = json.Unmarshal(testCase("c-other", "cam-1", "z1", cases.EventOpened, 1, t0), &other)
	publish(t, cfg, cfg.Kafka.CasesTopic, []byte("cam-1"), mustJSON(w), []byte("cam-1"), mustJSON(other))
	c := r.client().login("disp")
	waitFor(t, 20*time.Second, "the cases", func() bool { return queueTotal(c, "") == 2 })

	body, resp := c.get("/evidence/c-ev/clip.mp4")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "video/mp4" || body != string(clip) {
		t.Fatalf("clip: %s %s, %d bytes", resp.Status, resp.Header.Get("Content-Type"), len(body))
	}
	if resp.Header.Get("Accept-Ranges") != "bytes" {
		t.Errorf("Accept-Ranges %q", resp.Header.Get("Accept-Ranges"))
	}
	req, _ := http.NewRequest(http.MethodGet, c.base+"/evidence/c-ev/clip.mp4", nil)
	req.Header.Set("Range", "bytes=150000-150099")
	rresp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(rresp.Body)
	rresp.Body.Close()
	if rresp.StatusCode != http.StatusPartialContent || !bytes.Equal(part, clip[150000:150100]) ||
		rresp.Header.Get("Content-Range") != "bytes 150000-150099/200000" {
		t.Errorf("range: %s %q, %d bytes", rresp.Status, rresp.Header.Get("Content-Range"), len(part))
	}
	for _, p := range []string{
		"/evidence/c-ev/snapshot.jpg",     // the case's, but not in the store
		"/evidence/c-ev/manifest.json",    // not one of the case's objects
		"/evidence/c-ev/..%2F..%2Fsecret", // not a name of the case
		"/evidence/nope/clip.mp4",         // no such case
		"/evidence/c-other/clip.mp4",      // in a bucket the console does not read
	} {
		if _, resp := c.get(p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s, want 404", p, resp.Status)
		}
	}
	page, resp := c.get("/cases/c-ev")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `src="/evidence/c-ev/clip.mp4"`) {
		t.Fatalf("case page: %s", resp.Status)
	}
	api, _ := c.get("/api/cases/c-ev")
	for _, leak := range append(keys, store.Bucket(), "X-Amz") {
		if strings.Contains(page, leak) || strings.Contains(api, leak) {
			t.Errorf("the case page or API shows %q", leak)
		}
	}
	for _, want := range []string{`id="snapshot" src="/evidence/c-ev/snapshot.jpg"`, `id="first-sight" src="/evidence/c-ev/first-sight.jpg"`,
		`id="confirmation" src="/evidence/c-ev/snapshot-clean.jpg"`, "人民路 1 号 · G-12", "0505", "机动车乱停放", "30 秒"} {
		if !strings.Contains(page, want) {
			t.Errorf("case page lacks %q", want)
		}
	}
}

// seekCounter is evidence whose reader counts its seeks (each a store
// read on S3).
type seekCounter struct {
	data  []byte
	seeks int
}

type countingReader struct {
	*bytes.Reader
	c *seekCounter
}

func (r countingReader) Seek(off int64, whence int) (int64, error) {
	r.c.seeks++
	return r.Reader.Seek(off, whence)
}
func (countingReader) Close() error { return nil }

func (c *seekCounter) Bucket() string { return evidence.DefaultBucket }
func (c *seekCounter) Open(context.Context, string) (*evidence.Reader, error) {
	return &evidence.Reader{ReadSeekCloser: countingReader{bytes.NewReader(c.data), c}, Size: int64(len(c.data))}, nil
}

// TestEvidenceManyRanges: a request for many ranges is answered with the
// whole object in one read (before: one seek and read per range).
func TestEvidenceManyRanges(t *testing.T) {
	t.Parallel()
	st := newStore("cases", "health", "verdicts", "rechecks", slog.New(slog.DiscardHandler))
	st.apply(&kgo.Record{Topic: "cases", Value: testCase("r1", "cam-1", "z1", cases.EventOpened, 1, time.Now())})
	c := &seekCounter{data: bytes.Repeat([]byte("0123456789"), 1000)}
	s := &Server{store: st, deps: Deps{Evidence: c}, log: slog.New(slog.DiscardHandler)}
	var ranges []string
	for i := range 200 {
		ranges = append(ranges, fmt.Sprintf("%d-%d", i*10, i*10))
	}
	req := httptest.NewRequest(http.MethodGet, "/evidence/r1/clip.mp4", nil)
	req.SetPathValue("case", "r1")
	req.SetPathValue("name", "clip.mp4")
	req.Header.Set("Range", "bytes="+strings.Join(ranges, ","))
	rec := httptest.NewRecorder()
	s.serveEvidence(rec, req)
	if rec.Code != http.StatusOK || rec.Body.Len() != len(c.data) || c.seeks > 3 {
		t.Fatalf("%d, %d bytes, %d seeks; want 200, the whole object, a few seeks", rec.Code, rec.Body.Len(), c.seeks)
	}
}
