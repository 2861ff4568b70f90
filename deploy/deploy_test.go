// Tests of the deployment files. This machine runs no docker daemon and
// reaches no Kubernetes cluster, so the image, the compose file and the
// manifests are checked by parsing them with the tools' own libraries
// (BuildKit's Dockerfile parser, compose-go's loader with the embedded
// Compose specification, the Kubernetes API types) and by loading every
// patrol configuration they carry with patrol's own loader. The image is
// also built with podman and run as a worker: TestImage (image_test.go).
package deploy_test

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/patrol-city/patrol/internal/config"
)

// readFile returns a file of the deploy directory (the tests' working
// directory), failing the test when it cannot be read.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// parseWorker loads a worker configuration with patrol's own loader, its
// ${VAR} references taken from env alone: a reference env does not provide
// is an error, as it is when the worker starts.
func parseWorker(raw []byte, env map[string]string) (*config.Config, error) {
	return config.Parse(raw, func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
}

// parseCameras checks a cameras file (the input of patrol cameras apply: a
// cameras: list in the worker configuration's format) as patrol cameras
// apply does: the worker configuration loads, the file parses with
// config.ParseCameras (unknown fields are errors) and its cameras pass
// ValidateCameras against the configuration's rules (ids, URLs, zones, the
// rules the zones name).
func parseCameras(workerRaw, camerasRaw []byte, env map[string]string) ([]config.Camera, error) {
	cfg, err := parseWorker(workerRaw, env)
	if err != nil {
		return nil, fmt.Errorf("worker configuration: %w", err)
	}
	cams, err := config.ParseCameras(camerasRaw, func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
	if err != nil {
		return nil, fmt.Errorf("cameras: %w", err)
	}
	if len(cams) == 0 {
		return nil, errors.New("cameras: empty list")
	}
	if err := cfg.ValidateCameras(cams); err != nil {
		return nil, fmt.Errorf("cameras: %w", err)
	}
	return cams, nil
}

// checkFleetConfig checks what every worker configuration of a fleet must
// hold, beyond what the loader checks.
func checkFleetConfig(cfg *config.Config) error {
	var errs []error
	if !cfg.Cluster.Enabled {
		errs = append(errs, errors.New("cluster.enabled is false: a fleet's workers share the registry"))
	}
	if len(cfg.Kafka.Brokers) < 3 {
		errs = append(errs, fmt.Errorf("kafka.brokers: %d, want the three brokers", len(cfg.Kafka.Brokers)))
	}
	if cfg.Evidence.Kind != "s3" {
		errs = append(errs, fmt.Errorf("evidence.kind %q: a fleet's evidence is shared, want s3", cfg.Evidence.Kind))
	}
	if len(cfg.Rules) == 0 {
		errs = append(errs, errors.New("no rules"))
	}
	host, _, _ := strings.Cut(cfg.Monitoring.MetricsAddress, ":")
	if host == "127.0.0.1" || host == "localhost" || cfg.Monitoring.MetricsAddress == "off" {
		errs = append(errs, fmt.Errorf("monitoring.metrics_address %q is not reachable from outside the container", cfg.Monitoring.MetricsAddress))
	}
	return errors.Join(errs...)
}

// mutate returns s with old replaced by new, failing the test when s does
// not hold old: a broken input must really differ from the good one.
func mutate(t *testing.T, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("mutate: %q not found", old)
	}
	return strings.Replace(s, old, new, 1)
}

// TestBrokenInputsAreRejected feeds each validator small broken inputs,
// derived from the real files, and expects each to be refused for the
// reason given: the validators can fail.
func TestBrokenInputsAreRejected(t *testing.T) {
	dockerfile := string(readFile(t, "Dockerfile"))
	compose := string(readFile(t, "compose.yaml"))
	k8s := readManifestFiles(t)
	k8sWith := func(file, old, new string) map[string][]byte {
		out := map[string][]byte{}
		for k, v := range k8s {
			out[k] = v
		}
		out[file] = []byte(mutate(t, string(k8s[file]), old, new))
		return out
	}
	cases := []struct {
		name string
		err  func() error
		want string
	}{
		{"Dockerfile USER root", func() error {
			return validateDockerfile([]byte(mutate(t, dockerfile, "USER 10001:10001", "USER root")))
		}, "root"},
		{"Dockerfile USER 0", func() error {
			return validateDockerfile([]byte(mutate(t, dockerfile, "USER 10001:10001", "USER 0:0")))
		}, "root"},
		{"Dockerfile without USER", func() error {
			return validateDockerfile([]byte(mutate(t, dockerfile, "USER 10001:10001\n", "")))
		}, "USER"},
		{"Dockerfile COPY --from an undefined stage", func() error {
			return validateDockerfile([]byte(mutate(t, dockerfile, "COPY --from=build", "COPY --from=builder")))
		}, "builder"},
		{"Dockerfile single stage", func() error {
			_, final, _ := strings.Cut(dockerfile, "FROM debian:bookworm-slim AS runtime")
			return validateDockerfile([]byte("FROM debian:bookworm-slim AS runtime" + final))
		}, "multi-stage"},
		{"Dockerfile final stage on another base", func() error {
			return validateDockerfile([]byte(mutate(t, dockerfile, "FROM debian:bookworm-slim", "FROM alpine:3.20")))
		}, "bookworm"},
		{"Dockerfile ENTRYPOINT not patrol", func() error {
			return validateDockerfile([]byte(mutate(t, dockerfile, `ENTRYPOINT ["/usr/local/bin/patrol"]`, `ENTRYPOINT ["/bin/sh"]`)))
		}, "ENTRYPOINT"},
		{"Dockerfile -dev package at run time", func() error {
			return validateDockerfile([]byte(mutate(t, dockerfile, "libavcodec59 ", "libavcodec-dev ")))
		}, "-dev"},
		{"Dockerfile unknown instruction", func() error {
			return validateDockerfile([]byte(mutate(t, dockerfile, "WORKDIR /var/lib/patrol", "WORKDIRR /var/lib/patrol")))
		}, "unknown instruction"},
		{"Dockerfile lint warning (FROM ... as)", func() error {
			return validateDockerfile([]byte(mutate(t, dockerfile, "-bookworm AS build", "-bookworm as build")))
		}, "FromAsCasing"},
		{"StatefulSet unknown field", func() error {
			return validateManifests(k8sWith("statefulset.yaml", "  replicas: 3\n", "  replicas: 3\n  replicaz: 3\n"))
		}, "replicaz"},
		{"StatefulSet misspelt container field", func() error {
			return validateManifests(k8sWith("statefulset.yaml", "          image: patrol\n          args: [\"run\"", "          image: patrol\n          imagePullPolicyy: Always\n          args: [\"run\""))
		}, "imagePullPolicyy"},
		{"StatefulSet field in the wrong case", func() error {
			return validateManifests(k8sWith("statefulset.yaml", "  serviceName:", "  servicename:"))
		}, "servicename"},
		{"unknown kind", func() error {
			return validateManifests(k8sWith("pdb.yaml", "kind: PodDisruptionBudget", "kind: PodDisruptionBudgett"))
		}, "unknown kind"},
		{"PodDisruptionBudget selector matches no worker", func() error {
			return validateManifests(k8sWith("pdb.yaml", "      app.kubernetes.io/component: worker\n", "      app.kubernetes.io/component: console\n"))
		}, "PodDisruptionBudget"},
		{"Service selector matches no worker", func() error {
			return validateManifests(k8sWith("service.yaml", "    app.kubernetes.io/component: worker\n  ports:", "    app.kubernetes.io/component: console\n  ports:"))
		}, "selector"},
		{"probe on another path", func() error {
			return validateManifests(k8sWith("statefulset.yaml", "livenessProbe:\n            httpGet: {path: /healthz", "livenessProbe:\n            httpGet: {path: /metrics"))
		}, "/healthz"},
		{"worker running as root", func() error {
			return validateManifests(k8sWith("statefulset.yaml", "runAsUser: 10001", "runAsUser: 0"))
		}, "root"},
		{"ConfigMap with a camera in a fleet worker's configuration", func() error {
			return validateManifests(k8sWith("configmap.yaml", "    cameras: []\n", "    cameras: [{id: c1, url: 'rtsp://192.0.2.1/x'}]\n"))
		}, "cameras"},
		{"secret key missing", func() error {
			return validateManifests(k8sWith("secret.yaml", "  KAFKA_PASSWORD: change-me\n", ""))
		}, "KAFKA_PASSWORD"},
		{"NetworkPolicy open to every peer", func() error {
			return validateManifests(k8sWith("networkpolicy.yaml", "  ingress:\n", "  ingress:\n    - ports: [{port: metrics, protocol: TCP}]\n"))
		}, "NetworkPolicy"},
		{"no NetworkPolicy for the workers", func() error {
			return validateManifests(k8sWith("networkpolicy.yaml", "      app.kubernetes.io/component: worker\n  policyTypes", "      app.kubernetes.io/component: console\n  policyTypes"))
		}, "NetworkPolicy"},
		{"secret without the monitoring token", func() error {
			return validateManifests(k8sWith("secret.yaml", "  MONITORING_TOKEN: change-me-to-a-long-random-token\n", ""))
		}, "MONITORING_TOKEN"},
		{"kustomization misses a manifest", func() error {
			return validateManifests(k8sWith("kustomization.yaml", "  - pdb.yaml\n", ""))
		}, "pdb.yaml"},
		{"compose service with an unknown key", func() error {
			_, err := loadCompose([]byte(mutate(t, compose, "    restart: unless-stopped\n", "    restart: unless-stopped\n    restart_policy: always\n")), composeEnv)
			return err
		}, "restart_policy"},
		{"compose workers with one name", func() error {
			return validateCompose([]byte(mutate(t, compose, "WORKER: worker-2", "WORKER: worker-1")))
		}, "WORKER"},
		{"compose with two brokers", func() error {
			return validateCompose([]byte(mutate(t, compose, "    image: apache/kafka:3.9.1\n    hostname: kafka-3", "    image: busybox\n    hostname: kafka-3")))
		}, "kafka"},
		{"camera zone naming an unknown rule", func() error {
			return validateManifests(k8sWith("cameras-configmap.yaml", "rules: [illegal-parking]", "rules: [illegal-parkin]"))
		}, "illegal-parkin"},
		{"camera with an unknown field", func() error {
			return validateManifests(k8sWith("cameras-configmap.yaml", "        transport: tcp\n", "        transprot: tcp\n"))
		}, "transprot"},
		{"compose camera off the simulator", func() error {
			return validateCompose([]byte(mutate(t, compose, `"-scene", "eval-parked-long"`, `"-scene", "eval-two-cars"`)))
		}, "eval-parked-long"},
		{"compose worker data on one volume", func() error {
			return validateCompose([]byte(mutate(t, compose, "- worker-2-data:/var/lib/patrol", "- worker-1-data:/var/lib/patrol")))
		}, "volume"},
	}
	names := make([]string, 0, len(cases))
	for _, c := range cases {
		names = append(names, c.name)
		t.Run(c.name, func(t *testing.T) {
			err := c.err()
			if err == nil {
				t.Fatal("accepted, want an error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not mention %q", err, c.want)
			}
			t.Logf("rejected: %v", err)
		})
	}
	sort.Strings(names)
	for i := 1; i < len(names); i++ {
		if names[i] == names[i-1] {
			t.Errorf("two cases named %q", names[i])
		}
	}
}
