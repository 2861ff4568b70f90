package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// describeTries bounds how often describe asks for a stable group after
// a generation (200 ms apart).
const describeTries = 5

// describe returns the group's members: those of a stable group, or,
// when the group is already rebalancing again (a rolling restart), the
// members it lists then (those of the next generation, which all
// members describe in turn); nil only when the group could not be
// described at all, or ctx ended.
func (m *Member) describe(ctx context.Context) []MemberInfo {
	var last []MemberInfo
	for range describeTries {
		members, stable, err := Describe(ctx, m.client, m.cfg.Group)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil && stable {
			return members
		}
		if err != nil {
			m.deps.Logger.Warn("fleet group not described", "group", m.cfg.Group, "err", err)
		} else {
			last = members
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
	return last
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
