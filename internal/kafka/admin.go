package kafka

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	kafkago "github.com/segmentio/kafka-go"
)

// Topic is a topic patrol creates when it is missing.
type Topic struct {
	// Name is the topic (required).
	Name string
	// Partitions defaults to 1.
	Partitions int
	// Compacted keeps the newest message of each key (cleanup.policy
	// compact) instead of deleting by age: the camera registry and the
	// open-case state.
	Compacted bool
}

// Replication is how created topics are replicated.
type Replication struct {
	// Factor is the replication factor (default 0: 3 when the cluster has
	// three brokers or more, else 1).
	Factor int
	// MinInsync is min.insync.replicas, the replicas that must have a
	// message before the writer (acks all) is told it is stored (default 0:
	// 2 for a factor of 3 or more, else 1). With 3 and 2, one broker may be
	// lost without losing or refusing a message.
	MinInsync int
}

// resolve applies the defaults for a cluster of n brokers and checks the
// result against it.
func (r Replication) resolve(n int) (Replication, error) {
	if r.Factor == 0 {
		r.Factor = 1
		if n >= 3 {
			r.Factor = 3
		}
	}
	if r.MinInsync == 0 {
		r.MinInsync = 1
		if r.Factor >= 3 {
			r.MinInsync = 2
		}
	}
	switch {
	case r.Factor < 1 || r.Factor > n:
		return r, fmt.Errorf("kafka: replication factor %d needs as many brokers, the cluster has %d", r.Factor, n)
	case r.MinInsync < 1 || r.MinInsync > r.Factor:
		return r, fmt.Errorf("kafka: min.insync.replicas %d must be between 1 and the replication factor %d", r.MinInsync, r.Factor)
	}
	return r, nil
}

// CreateTopics creates the topics that do not exist yet, replicated as
// repl says (existing topics are left as they are).
func CreateTopics(ctx context.Context, sec Security, brokers []string, repl Replication, topics ...Topic) error {
	if len(brokers) == 0 {
		return errors.New("kafka: no brokers")
	}
	d := sec.Dialer()
	conn, err := d.DialContext(ctx, "tcp", brokers[0])
	if err != nil {
		return fmt.Errorf("kafka: dial %s: %w", brokers[0], err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	ctrl, err := conn.Controller()
	if err != nil {
		return fmt.Errorf("kafka: controller: %w", err)
	}
	cc, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ctrl.Host, strconv.Itoa(ctrl.Port)))
	if err != nil {
		return fmt.Errorf("kafka: dial controller: %w", err)
	}
	defer cc.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = cc.SetDeadline(dl)
	}
	all, err := conn.Brokers()
	if err != nil {
		return fmt.Errorf("kafka: brokers: %w", err)
	}
	r, err := repl.resolve(len(all))
	if err != nil {
		return err
	}
	var cfgs []kafkago.TopicConfig
	for _, t := range topics {
		if t.Name == "" {
			return errors.New("kafka: topic name required")
		}
		tc := kafkago.TopicConfig{Topic: t.Name, NumPartitions: max(1, t.Partitions), ReplicationFactor: r.Factor,
			ConfigEntries: []kafkago.ConfigEntry{{ConfigName: "min.insync.replicas", ConfigValue: strconv.Itoa(r.MinInsync)}}}
		if t.Compacted {
			tc.ConfigEntries = append(tc.ConfigEntries, kafkago.ConfigEntry{ConfigName: "cleanup.policy", ConfigValue: "compact"})
		}
		cfgs = append(cfgs, tc)
	}
	if err := cc.CreateTopics(cfgs...); err != nil && !errors.Is(err, kafkago.TopicAlreadyExists) {
		return fmt.Errorf("kafka: create topics: %w", err)
	}
	return nil
}
