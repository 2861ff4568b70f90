package e2e

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/testkit/testenv"
	"github.com/patrol-city/patrol/internal/worker"
)

// tlsServices reads the TLS endpoints make test starts: the broker's SSL
// listener, the HTTPS MinIO, the test CA and an unrelated CA.
func tlsServices(t *testing.T) (kafkaAddr string, s3 *url.URL, ca, wrongCA string) {
	t.Helper()
	kafkaAddr, raw := os.Getenv("PATROL_TEST_KAFKA_TLS"), os.Getenv("PATROL_TEST_S3_TLS")
	ca, wrongCA = os.Getenv("PATROL_TEST_CA"), os.Getenv("PATROL_TEST_WRONG_CA")
	if kafkaAddr == "" || raw == "" || ca == "" || wrongCA == "" {
		if os.Getenv("PATROL_TEST_SKIP_SERVICES") == "1" {
			t.Skip("PATROL_TEST_SKIP_SERVICES=1")
		}
		t.Fatal("PATROL_TEST_KAFKA_TLS, PATROL_TEST_S3_TLS, PATROL_TEST_CA and PATROL_TEST_WRONG_CA must be set: run `make test`")
	}
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		t.Fatal("PATROL_TEST_S3_TLS must look like https://ACCESS:SECRET@host:port")
	}
	return kafkaAddr, u, ca, wrongCA
}

// tlsConfig is a worker configuration that reaches Kafka and MinIO over TLS
// with the given CA files.
func tlsConfig(t *testing.T, kafkaAddr string, s3 *url.URL, kafkaCA, s3CA string) *config.Config {
	secret, _ := s3.User.Password()
	cfg := &config.Config{
		Worker:     "e2e",
		Cameras:    []config.Camera{{ID: "tls-cam", URL: "rtsp://127.0.0.1:1/x"}},
		Model:      config.Model{Path: filepath.Join(testenv.Mirror(), "models", "yolox_nano.onnx")},
		Kafka:      config.Kafka{Brokers: []string{kafkaAddr}, TLS: config.TLS{Enabled: true, CAFile: kafkaCA}},
		Evidence:   config.Evidence{Kind: "s3", Endpoint: s3.Host, Secure: true, CAFile: s3CA, AccessKey: s3.User.Username(), SecretKey: secret, Bucket: fmt.Sprintf("patrol-e2e-tls-%d", rand.Uint32())},
		Monitoring: config.Monitoring{MetricsAddress: "127.0.0.1:0"},
		DataDir:    t.TempDir(),
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestWorkerOverTLS: a worker given the test CA (kafka.tls.ca_file,
// evidence.ca_file) reaches the broker's SSL listener and the HTTPS MinIO
// (both dependencies up in /healthz); given an unrelated CA it refuses to
// start with an error that names the certificate problem and carries no
// secret.
func TestWorkerOverTLS(t *testing.T) { //nolint:tparallel // its subtests share its CPU claim (parallel, main_test.go): one after the other
	parallel(t, loadTLS)
	kafkaAddr, s3, ca, wrongCA := tlsServices(t)
	secret, _ := s3.User.Password()
	deps := worker.Deps{Logger: stderrLog(slog.LevelWarn)}

	w, err := runWorker(t, t.Context(), tlsConfig(t, kafkaAddr, s3, ca, ca), deps)
	if err != nil {
		t.Fatalf("worker with the right CA: %v", err)
	}
	waitFor(t, 30*time.Second, "kafka and evidence up over TLS", func() bool {
		h := w.healthz(t)
		k, _ := h.dep("kafka")
		e, _ := h.dep("evidence")
		return k && e
	})
	if err := w.Stop(); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name           string
		kafkaCA, s3CA  string
		wantDependency string
	}{
		{"kafka wrong CA", wrongCA, ca, "kafka"},
		{"minio wrong CA", ca, wrongCA, "evidence"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// worker.New only validates; Run refuses the server
			// certificate before the worker is ready.
			_, err := runWorker(t, t.Context(), tlsConfig(t, kafkaAddr, s3, tc.kafkaCA, tc.s3CA), deps)
			if err == nil {
				t.Fatal("the worker started although the server certificate is not from its CA")
			}
			msg := err.Error()
			t.Logf("%s: %v", tc.name, err)
			if !errors.Is(err, worker.ErrMisconfigured) || !strings.HasPrefix(msg, tc.wantDependency+":") ||
				(!strings.Contains(msg, "certificate") && !strings.Contains(msg, "x509")) {
				t.Fatalf("error %q does not name %s's certificate problem", msg, tc.wantDependency)
			}
			if strings.Contains(msg, secret) {
				t.Fatal("the error shows the secret key")
			}
		})
	}
}
