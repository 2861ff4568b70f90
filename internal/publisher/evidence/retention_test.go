package evidence

import (
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

// TestS3Retention: with Retention set, objects are stored under object lock
// and cannot be deleted; retention on a bucket without locking fails at
// start.
func TestS3Retention(t *testing.T) {
	cfg := testS3Config(t)
	ctx := testCtx(t)
	cfg.Retention = time.Hour
	s, err := NewS3(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Put(ctx, Object{Key: "cam/case/clip.mp4", ContentType: "video/mp4", Data: []byte("evidence bytes")})
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.client.StatObject(ctx, cfg.Bucket, st.Key, minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mode, until, err := s.client.GetObjectRetention(ctx, cfg.Bucket, st.Key, info.VersionID)
	if err != nil || mode == nil || *mode != minio.Governance || until == nil || time.Until(*until) < 50*time.Minute {
		t.Fatalf("retention %v until %v: %v", mode, until, err)
	}
	err = s.client.RemoveObject(ctx, cfg.Bucket, st.Key, minio.RemoveObjectOptions{VersionID: info.VersionID})
	if err == nil {
		t.Fatal("a locked evidence object was deleted")
	}
	t.Logf("delete refused: %v", err)
	// Clean up with the governance bypass, as an administrator would.
	_ = s.client.RemoveObject(ctx, cfg.Bucket, st.Key, minio.RemoveObjectOptions{VersionID: info.VersionID, GovernanceBypass: true})

	plain := testS3Config(t)
	if _, err := NewS3(ctx, plain); err != nil {
		t.Fatal(err)
	}
	plain.Retention = time.Hour
	if _, err := NewS3(ctx, plain); err == nil || !strings.Contains(err.Error(), "object locking") {
		t.Fatalf("retention on a bucket without locking: %v", err)
	}
}
