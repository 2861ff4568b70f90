// Package tlsfiles reads the TLS files an operator names in the
// configuration (a private CA, a client certificate) into a tls.Config, for
// Kafka (internal/kafka) and the S3 evidence store alike. It imports
// nothing of patrol and builds with CGO_ENABLED=0.
package tlsfiles

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// Load reads a CA bundle (optional: "" keeps the system roots) and an
// optional client certificate into a TLS configuration (TLS 1.2 or later).
// insecure skips the server's verification (the operator's explicit
// choice).
func Load(caFile, certFile, keyFile string, insecure bool) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure} //nolint:gosec // operator's explicit choice
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificate", caFile)
		}
		c.RootCAs = pool
	}
	if certFile != "" || keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("client certificate %s: %w", certFile, err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
