package evidence

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// DefaultRegion is the S3 region used when none is configured.
const DefaultRegion = "us-east-1"

// MaxPresignExpiry is the longest validity of a presigned URL (an S3 limit).
const MaxPresignExpiry = 7 * 24 * time.Hour

// SHA256MetaKey is the user metadata key (x-amz-meta-sha256) under which S3
// stores the hex SHA-256 of each object.
const SHA256MetaKey = "sha256"

// ErrAuth is returned (wrapped) when the S3 server rejects the credentials.
var ErrAuth = errors.New("S3 rejected the credentials (check the access key and secret key)")

// S3Config configures an S3 (MinIO, AWS, ...) evidence store.
type S3Config struct {
	// Endpoint is the server's "host:port", without scheme (required).
	Endpoint string
	// AccessKey and SecretKey are the credentials (required). The secret
	// never appears in errors or in String.
	AccessKey, SecretKey string
	// Bucket defaults to DefaultBucket ("patrol-evidence").
	Bucket string
	// Region defaults to DefaultRegion ("us-east-1").
	Region string
	// Secure selects HTTPS (default false: plain HTTP).
	Secure bool
	// SkipCreateBucket makes NewS3 fail when the bucket is missing instead
	// of creating it (default false: create it).
	SkipCreateBucket bool
	// TLS configures HTTPS (with Secure) when the server's certificate is
	// signed by a private CA (default nil: system roots).
	TLS *tls.Config
	// Retention, when positive, stores every object under S3 object lock
	// until now + Retention, so evidence cannot be altered or deleted; the
	// bucket must have object locking (NewS3 creates it so). Default 0: off.
	Retention time.Duration
	// RetentionMode is "GOVERNANCE" (default) or "COMPLIANCE".
	RetentionMode string
	// PresignExpiry, when positive, makes Put return a presigned GET URL
	// valid that long (at most MaxPresignExpiry). Default 0: no URL.
	PresignExpiry time.Duration
	// Now is the clock of the retention's start (default time.Now).
	Now func() time.Time
}

// String describes the configuration with the secret key redacted.
func (c S3Config) String() string {
	return fmt.Sprintf("s3{endpoint=%s bucket=%s region=%s secure=%v access_key=%s secret_key=<redacted>}",
		c.Endpoint, c.Bucket, c.Region, c.Secure, c.AccessKey)
}

// S3 is a Store in an S3 bucket. It is safe for concurrent use.
type S3 struct {
	client  *minio.Client
	cfg     S3Config
	presign time.Duration
}

// NewS3 checks cfg, applies its defaults, connects to the server and makes
// sure the bucket exists: it creates a missing bucket unless
// cfg.SkipCreateBucket is set, and accepts one that another client created
// at the same time. It talks to the server, so wrong credentials fail here
// (with ErrAuth); ctx bounds that, including the client's retries.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	s, err := OpenS3(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.EnsureBucket(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// OpenS3 checks cfg, applies its defaults and builds the client without
// talking to the server, so that a worker can start while the server is
// down; EnsureBucket (retried in the background) makes the bucket usable.
// Uploads before that fail and are retried by the outbox.
func OpenS3(cfg S3Config) (*S3, error) {
	if cfg.Bucket == "" {
		cfg.Bucket = DefaultBucket
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	opts := &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.Secure,
		Region: cfg.Region,
	}
	if cfg.TLS != nil {
		tr, err := minio.DefaultTransport(cfg.Secure)
		if err != nil {
			return nil, fmt.Errorf("evidence: s3 %s: %w", cfg.Endpoint, err)
		}
		tr.TLSClientConfig = cfg.TLS
		opts.Transport = tr
	}
	client, err := minio.New(cfg.Endpoint, opts)
	if err != nil {
		return nil, fmt.Errorf("evidence: s3 %s: %w", cfg.Endpoint, err)
	}
	return &S3{client: client, cfg: cfg, presign: cfg.PresignExpiry}, nil
}

func (c *S3Config) check() error {
	if c.Endpoint == "" {
		return errors.New("evidence: s3: endpoint is required")
	}
	if strings.Contains(c.Endpoint, "://") || strings.Contains(c.Endpoint, "/") {
		return fmt.Errorf("evidence: s3: endpoint %q must be host:port (use Secure for HTTPS)", c.Endpoint)
	}
	if _, _, err := net.SplitHostPort(c.Endpoint); err != nil {
		return fmt.Errorf("evidence: s3: endpoint %q must be host:port: %w", c.Endpoint, err)
	}
	if c.AccessKey == "" || c.SecretKey == "" {
		return errors.New("evidence: s3: access key and secret key are required")
	}
	if err := s3utils.CheckValidBucketNameStrict(c.Bucket); err != nil {
		return fmt.Errorf("evidence: s3: bucket %q: %w", c.Bucket, err)
	}
	if c.RetentionMode != "" && c.RetentionMode != "GOVERNANCE" && c.RetentionMode != "COMPLIANCE" {
		return fmt.Errorf("evidence: s3: retention mode %q (GOVERNANCE or COMPLIANCE)", c.RetentionMode)
	}
	if c.PresignExpiry < 0 || c.PresignExpiry > MaxPresignExpiry {
		return fmt.Errorf("evidence: s3: presign expiry %v out of range 0..%v", c.PresignExpiry, MaxPresignExpiry)
	}
	return nil
}

// EnsureBucket makes sure the bucket exists and, with retention, has object
// locking: it creates a missing bucket unless SkipCreateBucket is set, and
// accepts one that another client created at the same time. Wrong
// credentials fail with ErrAuth.
func (s *S3) EnsureBucket(ctx context.Context) error {
	if err := s.checkTLS(ctx); err != nil {
		return err
	}
	exists, err := s.client.BucketExists(ctx, s.cfg.Bucket)
	if err != nil {
		return s.wrap("check bucket", "", err)
	}
	if exists {
		return s.checkLocking(ctx)
	}
	if s.cfg.SkipCreateBucket {
		return fmt.Errorf("evidence: s3 %s: bucket %q does not exist", s.cfg.Endpoint, s.cfg.Bucket)
	}
	err = s.client.MakeBucket(ctx, s.cfg.Bucket, minio.MakeBucketOptions{Region: s.cfg.Region, ObjectLocking: s.cfg.Retention > 0})
	switch minio.ToErrorResponse(err).Code {
	case "":
		if err != nil {
			return s.wrap("create bucket", "", err)
		}
		return nil
	case "BucketAlreadyOwnedByYou":
		return nil // created by another client meanwhile
	case "BucketAlreadyExists":
		// Taken meanwhile; fine if it is usable with these credentials.
		if ok, err2 := s.client.BucketExists(ctx, s.cfg.Bucket); err2 == nil && ok {
			return nil
		}
	}
	return s.wrap("create bucket", "", err)
}

// wrap adds context to a client error, marking credential errors with
// ErrAuth and missing objects with ErrNotFound. No error from this package
// carries the secret key.
func (s *S3) wrap(op, key string, err error) error {
	where := fmt.Sprintf("evidence: s3 %s: %s %s", s.cfg.Endpoint, op, s.cfg.Bucket)
	if key != "" {
		where += "/" + key
	}
	switch minio.ToErrorResponse(err).Code {
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch":
		return fmt.Errorf("%s: %w: %w", where, ErrAuth, err)
	case "NoSuchKey":
		return fmt.Errorf("%s: %w", where, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", where, err)
}

// Bucket returns the bucket objects are stored in.
func (s *S3) Bucket() string { return s.cfg.Bucket }

// Put uploads obj with its content type (DefaultContentType when empty), its
// hex SHA-256 as user metadata SHA256MetaKey, asking minio-go for S3 SHA-256
// checksums (AutoChecksum) so that the server can verify the upload. The
// returned SHA256 and Size are computed locally; URL is a presigned GET URL
// when S3Config.PresignExpiry is set.
func (s *S3) Put(ctx context.Context, obj Object) (Stored, error) {
	st, err := describe(s.cfg.Bucket, obj)
	if err != nil {
		return Stored{}, err
	}
	opts := minio.PutObjectOptions{
		ContentType:  st.ContentType,
		UserMetadata: map[string]string{SHA256MetaKey: st.SHA256},
		AutoChecksum: minio.ChecksumSHA256,
	}
	if s.cfg.Retention > 0 {
		until := s.cfg.Now().Add(s.cfg.Retention)
		mode := minio.Governance
		if s.cfg.RetentionMode == "COMPLIANCE" {
			mode = minio.Compliance
		}
		opts.Mode, opts.RetainUntilDate = mode, until
	}
	info, err := s.client.PutObject(ctx, s.cfg.Bucket, obj.Key, bytes.NewReader(obj.Data), st.Size, opts)
	if err != nil {
		return Stored{}, s.wrap("put", obj.Key, err)
	}
	// A single-part upload's checksum, when the server reports one, is the
	// SHA-256 of the data (multipart ones end in "-<parts>").
	if info.ChecksumSHA256 != "" && !strings.Contains(info.ChecksumSHA256, "-") {
		sum, _ := hex.DecodeString(st.SHA256)
		if got := info.ChecksumSHA256; got != base64.StdEncoding.EncodeToString(sum) {
			return Stored{}, fmt.Errorf("evidence: s3 %s: put %s/%s: server checksum %s does not match the data", s.cfg.Endpoint, s.cfg.Bucket, obj.Key, got)
		}
	}
	if s.presign > 0 {
		u, err := s.client.PresignedGetObject(ctx, s.cfg.Bucket, obj.Key, s.presign, nil)
		if err != nil {
			return Stored{}, s.wrap("presign", obj.Key, err)
		}
		st.URL = u.String()
	}
	return st, nil
}

// Get downloads the object stored under key (ErrNotFound if there is none).
func (s *S3) Get(ctx context.Context, key string) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	o, err := s.client.GetObject(ctx, s.cfg.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.wrap("get", key, err)
	}
	defer o.Close()
	data, err := io.ReadAll(o)
	if err != nil {
		return nil, s.wrap("get", key, err)
	}
	return data, nil
}

// Stat describes the object stored under key as the server has it: its
// size, content type and the SHA-256 recorded by Put in its metadata (empty
// for objects stored otherwise). ErrNotFound if there is none.
func (s *S3) Stat(ctx context.Context, key string) (Stored, error) {
	if err := checkKey(key); err != nil {
		return Stored{}, err
	}
	info, err := s.client.StatObject(ctx, s.cfg.Bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return Stored{}, s.wrap("stat", key, err)
	}
	st := Stored{Bucket: s.cfg.Bucket, Key: key, Size: info.Size, ContentType: info.ContentType}
	for k, v := range info.UserMetadata {
		if strings.EqualFold(k, SHA256MetaKey) {
			st.SHA256 = v
		}
	}
	return st, nil
}

// checkLocking fails when retention is asked for on a bucket without object
// locking (it can only be enabled when a bucket is created).
func (s *S3) checkLocking(ctx context.Context) error {
	if s.cfg.Retention <= 0 {
		return nil
	}
	enabled, _, _, _, err := s.client.GetObjectLockConfig(ctx, s.cfg.Bucket)
	if err != nil || enabled != "Enabled" {
		return fmt.Errorf("evidence: s3 %s: bucket %q has no object locking, which retention needs (create a new bucket or set retention to 0)", s.cfg.Endpoint, s.cfg.Bucket)
	}
	return nil
}

// checkTLS completes one TLS handshake with an HTTPS endpoint, so that a
// certificate the configured CA does not verify is reported at once with
// its x509 error: the client retries such failures, and a caller's
// deadline would otherwise hide them behind "context deadline exceeded".
// Network errors are left to the client (nil here).
func (s *S3) checkTLS(ctx context.Context) error {
	if !s.cfg.Secure {
		return nil
	}
	cfg := &tls.Config{}
	if s.cfg.TLS != nil {
		cfg = s.cfg.TLS.Clone()
	}
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(s.cfg.Endpoint)
		if err != nil {
			return nil //nolint:nilerr // not host:port: the client reports that endpoint, like a network error
		}
		cfg.ServerName = host
	}
	d := tls.Dialer{Config: cfg}
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Endpoint)
	if err != nil {
		var ve *tls.CertificateVerificationError
		if errors.As(err, &ve) {
			return fmt.Errorf("evidence: s3 %s: %w", s.cfg.Endpoint, err)
		}
		return nil
	}
	return conn.Close()
}
