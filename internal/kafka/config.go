package kafka

import (
	"fmt"
	"os"
	"strings"

	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/tlsfiles"
)

// SecurityFor builds the broker connection's TLS and SASL settings from
// the kafka section, reading its files once. Errors name files and
// mechanisms, never passwords.
func SecurityFor(k config.Kafka) (Security, error) {
	var sec Security
	if k.TLS.Enabled {
		t, err := tlsfiles.Load(k.TLS.CAFile, k.TLS.CertFile, k.TLS.KeyFile, k.TLS.InsecureSkipVerify)
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

// ReplicationOf is how patrol creates its topics (kafka.replication_factor,
// kafka.min_insync_replicas).
func ReplicationOf(k config.Kafka) Replication {
	return Replication{Factor: k.ReplicationFactor, MinInsync: k.MinInsyncReplicas}
}

// WorkerTopics are the topics a worker writes or follows: cases, health,
// re-checks and the console's suppressions, and in a fleet the camera
// registry and the open-case state (compacted, cluster.partitions each).
func WorkerTopics(cfg *config.Config) []Topic {
	ts := []Topic{{Name: cfg.Kafka.CasesTopic}, {Name: cfg.Kafka.HealthTopic}, RechecksTopic(cfg), SuppressionsTopic(cfg)}
	if cfg.Cluster.Enabled {
		ts = append(ts, RegistryTopic(cfg), CaseStateTopic(cfg))
	}
	return ts
}

// ConsoleTopics are the topics the console reads and writes: cases and
// health, verdicts (one partition, key case id), re-checks, the compacted
// suppressions and, in a fleet, the registry.
func ConsoleTopics(cfg *config.Config) []Topic {
	ts := []Topic{{Name: cfg.Kafka.CasesTopic}, {Name: cfg.Kafka.HealthTopic},
		{Name: cfg.Console.VerdictsTopic}, RechecksTopic(cfg), SuppressionsTopic(cfg), {Name: cfg.Console.SessionsTopic, Compacted: true}}
	if cfg.Cluster.Enabled {
		ts = append(ts, RegistryTopic(cfg))
	}
	return ts
}

// RegistryTopic is the camera registry (compacted, cluster.partitions).
func RegistryTopic(cfg *config.Config) Topic {
	return Topic{Name: cfg.Cluster.RegistryTopic, Partitions: cfg.Cluster.Partitions, Compacted: true}
}

// CaseStateTopic is the fleet's open-case state (compacted,
// cluster.partitions).
func CaseStateTopic(cfg *config.Config) Topic {
	return Topic{Name: cfg.Cluster.CaseStateTopic, Partitions: cfg.Cluster.Partitions, Compacted: true}
}

// SuppressionsTopic is the console's suppressions topic (compacted).
func SuppressionsTopic(cfg *config.Config) Topic {
	return Topic{Name: cfg.Console.SuppressionsTopic, Compacted: true}
}

// RechecksTopic is the re-check requests and answers (not compacted: a
// worker reads it from its start, the broker's retention bounds it).
func RechecksTopic(cfg *config.Config) Topic {
	return Topic{Name: cfg.Kafka.RechecksTopic}
}
