package worker

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/publisher/broker"
)

// KafkaSecurity builds the broker connection's TLS and SASL settings.
// Errors name files and mechanisms, never passwords.
func KafkaSecurity(k config.Kafka) (broker.Security, error) {
	var sec broker.Security
	if k.TLS.Enabled {
		t, err := tlsConfig(k.TLS.CAFile, k.TLS.CertFile, k.TLS.KeyFile, k.TLS.InsecureSkipVerify)
		if err != nil {
			return sec, fmt.Errorf("kafka.tls: %w", err)
		}
		sec.TLS = t
	}
	if k.SASL.Mechanism == "" {
		return sec, nil
	}
	pass, err := saslPassword(k.SASL)
	if err != nil {
		return sec, err
	}
	var mech sasl.Mechanism
	switch k.SASL.Mechanism {
	case "PLAIN":
		mech = plain.Mechanism{Username: k.SASL.Username, Password: pass}
	case "SCRAM-SHA-256":
		mech, err = scram.Mechanism(scram.SHA256, k.SASL.Username, pass)
	case "SCRAM-SHA-512":
		mech, err = scram.Mechanism(scram.SHA512, k.SASL.Username, pass)
	default:
		err = fmt.Errorf("unknown mechanism %q", k.SASL.Mechanism)
	}
	if err != nil {
		return sec, fmt.Errorf("kafka.sasl: %s: cannot set up", k.SASL.Mechanism)
	}
	sec.SASL = mech
	return sec, nil
}

// saslPassword is the SASL password, from the file when one is named.
func saslPassword(s config.SASL) (string, error) {
	if s.PasswordFile == "" {
		return s.Password, nil
	}
	b, err := os.ReadFile(s.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("kafka.sasl.password_file: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// tlsConfig loads a CA bundle and an optional client certificate.
func tlsConfig(caFile, certFile, keyFile string, insecure bool) (*tls.Config, error) {
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
