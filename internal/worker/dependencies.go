package worker

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/kafka"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/worker/depcheck"
)

// startupCheckTimeout bounds the first check of each dependency in New: a
// service that does not answer by then is taken as down (the worker starts
// anyway and keeps checking), one that answers with a configuration error
// fails start-up.
const startupCheckTimeout = 5 * time.Second

// ErrMisconfigured wraps a dependency error that no retry can fix: wrong
// credentials or a certificate that does not verify.
var ErrMisconfigured = errors.New("dependency refuses this configuration")

// misconfigured reports whether err is a permanent configuration error of a
// dependency rather than an outage.
func misconfigured(err error) bool {
	var ve *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.Is(err, evidence.ErrAuth) || errors.Is(err, kafkago.SASLAuthenticationFailed) ||
		errors.Is(err, kafkago.TopicAuthorizationFailed) || errors.Is(err, kafkago.ClusterAuthorizationFailed) ||
		errors.As(err, &ve) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci)
}

// dependencyProbes returns the checks of the services this worker writes
// to: the Kafka topics (when it builds its own writers) and the S3 bucket.
func dependencyProbes(cfg *config.Config, sec kafka.Security, kafkaOwned bool, s3 *evidence.S3) []depcheck.Probe {
	var probes []depcheck.Probe
	if kafkaOwned {
		probes = append(probes, depcheck.Probe{Name: "kafka", Check: func(ctx context.Context) error {
			return kafka.CreateTopics(ctx, sec, cfg.Kafka.Brokers, kafka.ReplicationOf(cfg.Kafka), kafka.WorkerTopics(cfg)...)
		}})
	}
	if s3 != nil {
		probes = append(probes, depcheck.Probe{Name: "evidence", Check: s3.EnsureBucket})
	}
	return probes
}

// checkAtStart runs each probe once: a misconfiguration fails start-up, an
// outage is recorded (the watcher logs it) and left to its retries.
func checkAtStart(ctx context.Context, w *depcheck.Watcher, probes []depcheck.Probe) error {
	for _, p := range probes {
		cctx, cancel := context.WithTimeout(ctx, startupCheckTimeout)
		err := p.Check(cctx)
		cancel()
		if err != nil && misconfigured(err) {
			return fmt.Errorf("%s: %w: %w", p.Name, ErrMisconfigured, err)
		}
		w.Set(p.Name, err)
	}
	return nil
}
