package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// describeEvery is how often describe asks again for a stable group.
const describeEvery = 200 * time.Millisecond

// describe returns the members of the stable group, asking until the
// group answers stable; nil when the generation ended first (the group is
// rebalancing again: the next generation is described) or ctx ended. A
// member list taken while the group rebalances differs from member to
// member (each asks at another moment, and members that have not rejoined
// yet show what they said before): placing by it could stop a camera that
// stays, or give one camera to two workers.
func (m *Member) describe(ctx context.Context, ended <-chan struct{}) []MemberInfo {
	warned := false
	for {
		members, stable, err := Describe(ctx, m.client, m.cfg.Group)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil && stable {
			return members
		}
		if err != nil && !warned {
			warned = true
			m.deps.Logger.Warn("fleet group not described; asking again", "group", m.cfg.Group, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ended:
			return nil
		case <-time.After(describeEvery):
		}
	}
}

// NewClient is a Kafka client for Describe on brokers; dialer carries TLS
// and SASL (nil: plaintext).
func NewClient(brokers []string, dialer *kafka.Dialer) *kafka.Client {
	c := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 5 * time.Second}
	if dialer != nil && (dialer.TLS != nil || dialer.SASLMechanism != nil) {
		c.Transport = &kafka.Transport{TLS: dialer.TLS, SASL: dialer.SASLMechanism}
	}
	return c
}

// Describe asks the group's coordinator for the fleet's members and what
// each told the group when it joined (within 5 s); stable reports
// whether the group is between rebalances (the members are then those of
// its generation). A member whose user data is not patrol's is left out.
func Describe(ctx context.Context, c *kafka.Client, group string) (members []MemberInfo, stable bool, err error) {
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := c.DescribeGroups(dctx, &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
	if err != nil {
		return nil, false, fmt.Errorf("cluster: describe %s: %w", group, err)
	}
	if len(resp.Groups) != 1 {
		return nil, false, fmt.Errorf("cluster: describe %s: %d groups answered", group, len(resp.Groups))
	}
	g := resp.Groups[0]
	if g.Error != nil {
		return nil, false, fmt.Errorf("cluster: describe %s: %w", group, g.Error)
	}
	for _, gm := range g.Members {
		var d memberData
		if json.Unmarshal(gm.MemberMetadata.UserData, &d) != nil || d.Worker == "" {
			continue
		}
		members = append(members, MemberInfo{Worker: d.Worker, MaxCameras: d.MaxCameras, Running: d.Running, Labels: d.Labels})
	}
	return members, g.GroupState == "Stable", nil
}
