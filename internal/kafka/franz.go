package kafka

import (
	"context"
	"fmt"
	"net"
	"strconv"

	ksasl "github.com/segmentio/kafka-go/sasl"
	"github.com/twmb/franz-go/pkg/kgo"
	fsasl "github.com/twmb/franz-go/pkg/sasl"

	"github.com/patrol-city/patrol/internal/kafka/ktable"
)

// franz-go reads the compacted tables and follows topics (ktable, the
// console), kafka-go writes; one SASL mechanism serves both through
// saslAdapter.

// KgoOpts are the franz-go client options of s: its TLS configuration
// and its SASL mechanism, so that patrol's readers (kgo) and writers
// (kafka-go) share one Security.
func (s Security) KgoOpts() []kgo.Opt {
	var opts []kgo.Opt
	if s.TLS != nil {
		opts = append(opts, kgo.DialTLSConfig(s.TLS.Clone()))
	}
	if s.SASL != nil {
		opts = append(opts, kgo.SASL(saslAdapter{s.SASL}))
	}
	return opts
}

// TableConfig is the ktable follower of topic on brokers with s.
func (s Security) TableConfig(brokers []string, topic string) ktable.Config {
	tc := ktable.Config{Brokers: brokers, Topic: topic}
	if s.TLS != nil {
		tc.TLS = s.TLS.Clone()
	}
	if s.SASL != nil {
		tc.SASL = saslAdapter{s.SASL}
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
