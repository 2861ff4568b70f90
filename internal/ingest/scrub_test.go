package ingest

import (
	"errors"
	"strings"
	"testing"
)

// TestScrub: the password leaves an error message wherever the URL or its
// user-info is quoted (as written or URL-encoded), and nothing else of the
// message changes, even with a one-letter password (before: "dial tcp"
// became "dixxxxxl tcp").
func TestScrub(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ url, msg, want string }{
		{"rtsp://admin:a@10.0.0.1/s1", "dial tcp 10.0.0.1:554: connection refused", "dial tcp 10.0.0.1:554: connection refused"},
		{"rtsp://admin:s3cret@10.0.0.1/s1", "cannot read rtsp://admin:s3cret@10.0.0.1/s1: EOF", "cannot read rtsp://admin:xxxxx@10.0.0.1/s1: EOF"},
		{"rtsp://admin:p%40ss@cam/s1", "401 for admin:p%40ss@cam", "401 for admin:xxxxx@cam"},
		{"rtsp://admin:p w@cam/s1", "url admin:p%20w@cam", "url admin:xxxxx@cam"},
		{"rtsp://cam/s1", "dial tcp cam:554: refused", "dial tcp cam:554: refused"},
	} {
		got := scrub(errors.New(tc.msg), tc.url).Error()
		if got != tc.want {
			t.Errorf("scrub(%q, %s) = %q, want %q", tc.msg, tc.url, got, tc.want)
		}
		if strings.Contains(tc.url, "s3cret") && strings.Contains(got, "s3cret") {
			t.Errorf("password left in %q", got)
		}
	}
}
