package evidence

import (
	"crypto/tls"
	"fmt"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/tlsfiles"
)

// S3ConfigFor is the S3 store of the configuration's evidence section:
// endpoint, credentials, bucket, HTTPS with its CA file, retention and
// presigned URLs. Callers adjust it (the console reads only).
func S3ConfigFor(ev config.Evidence) (S3Config, error) {
	var t *tls.Config
	if ev.CAFile != "" {
		var err error
		if t, err = tlsfiles.Load(ev.CAFile, "", "", false); err != nil {
			return S3Config{}, fmt.Errorf("evidence.ca_file: %w", err)
		}
	}
	return S3Config{TLS: t, Endpoint: ev.Endpoint, AccessKey: ev.AccessKey, SecretKey: ev.SecretKey,
		Bucket: ev.Bucket, Secure: ev.Secure, PresignExpiry: ev.PresignExpiry,
		Retention: ev.Retention, RetentionMode: ev.RetentionMode}, nil
}
