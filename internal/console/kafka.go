package console

import (
	"context"
	"fmt"
	"net"
	"strconv"

	ksasl "github.com/segmentio/kafka-go/sasl"
	"github.com/twmb/franz-go/pkg/kgo"
	fsasl "github.com/twmb/franz-go/pkg/sasl"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/kafka/ktable"
	"github.com/patrol-city/patrol/internal/publisher/broker"
)

// kgoSecurity returns the kgo options of sec: its TLS configuration and
// its SASL mechanism, so that the readers (kgo) and the writers
// (kafka-go) of the console share one broker.Security, built by the
// caller (worker.KafkaSecurity in patrol console).
func kgoSecurity(sec broker.Security) []kgo.Opt {
	var opts []kgo.Opt
	if sec.TLS != nil {
		opts = append(opts, kgo.DialTLSConfig(sec.TLS.Clone()))
	}
	if sec.SASL != nil {
		opts = append(opts, kgo.SASL(saslAdapter{sec.SASL}))
	}
	return opts
}

// tableConfig is the ktable follower of topic with sec.
func tableConfig(brokers []string, sec broker.Security, topic string) ktable.Config {
	tc := ktable.Config{Brokers: brokers, Topic: topic}
	if sec.TLS != nil {
		tc.TLS = sec.TLS.Clone()
	}
	if sec.SASL != nil {
		tc.SASL = saslAdapter{sec.SASL}
	}
	return tc
}

// saslAdapter makes a kafka-go SASL mechanism (PLAIN, SCRAM) usable by
// franz-go: both are the same challenge/response exchange, kafka-go's
// Start/Next being franz-go's Authenticate/Challenge.
type saslAdapter struct{ m ksasl.Mechanism }

func (a saslAdapter) Name() string { return a.m.Name() }

func (a saslAdapter) Authenticate(ctx context.Context, host string) (fsasl.Session, []byte, error) {
	md := &ksasl.Metadata{Host: host}
	if h, p, err := net.SplitHostPort(host); err == nil {
		md.Host = h
		md.Port, _ = strconv.Atoi(p)
	}
	ctx = ksasl.WithMetadata(ctx, md)
	sm, ir, err := a.m.Start(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("sasl %s: %w", a.m.Name(), err)
	}
	return saslSession{ctx: ctx, sm: sm}, ir, nil
}

type saslSession struct {
	ctx context.Context
	sm  ksasl.StateMachine
}

// Challenge answers a server message. kafka-go sends nothing more once a
// state machine is done, so neither does this.
func (s saslSession) Challenge(msg []byte) (bool, []byte, error) {
	done, resp, err := s.sm.Next(s.ctx, msg)
	if err != nil {
		return false, nil, err
	}
	if done {
		return true, nil, nil
	}
	return false, resp, nil
}

// topics are the topics the console reads and writes, created when
// missing as a worker creates them: cases and health (one partition),
// verdicts (one partition, key case id), the compacted suppressions and,
// in a fleet, the compacted registry (cluster.partitions).
func topics(cfg *config.Config) []broker.Topic {
	ts := []broker.Topic{
		{Name: cfg.Kafka.CasesTopic}, {Name: cfg.Kafka.HealthTopic},
		{Name: cfg.Console.VerdictsTopic},
		{Name: cfg.Console.SuppressionsTopic, Compacted: true},
	}
	if cfg.Cluster.Enabled {
		ts = append(ts, broker.Topic{Name: cfg.Cluster.RegistryTopic, Partitions: cfg.Cluster.Partitions, Compacted: true})
	}
	return ts
}

// replication is how created topics are replicated (the kafka section).
func replication(k config.Kafka) broker.Replication {
	return broker.Replication{Factor: k.ReplicationFactor, MinInsync: k.MinInsyncReplicas}
}
