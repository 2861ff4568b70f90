package bench

import (
	"context"
	"fmt"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// deleteRunTopics deletes the run's registry and case-state topics once
// its workers are gone: each run makes its own (48 partitions each by
// default), and a test Kafka that kept those of earlier runs (about
// 12,700 partitions) made a later run time out on its registry writes.
func deleteRunTopics(brokers []string, topics ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := &kafkago.Client{Addr: kafkago.TCP(brokers...), Timeout: 30 * time.Second}
	resp, err := c.DeleteTopics(ctx, &kafkago.DeleteTopicsRequest{Topics: topics})
	if err != nil {
		return fmt.Errorf("bench: delete topics %v: %w", topics, err)
	}
	for t, terr := range resp.Errors {
		if terr != nil {
			return fmt.Errorf("bench: delete topic %s: %w", t, terr)
		}
	}
	return nil
}
