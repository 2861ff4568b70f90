package ktable

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// EndOffsets returns the high watermark (the offset the next message
// will get) of every partition of topics, asking the cluster cl knows.
func EndOffsets(ctx context.Context, cl *kgo.Client, topics ...string) (map[string]map[int32]int64, error) {
	meta := kmsg.NewPtrMetadataRequest()
	for _, t := range topics {
		mt := kmsg.NewMetadataRequestTopic()
		mt.Topic = kmsg.StringPtr(t)
		meta.Topics = append(meta.Topics, mt)
	}
	resp, err := meta.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("ktable: metadata: %w", err)
	}
	lo := kmsg.NewPtrListOffsetsRequest()
	for _, t := range resp.Topics {
		if t.Topic == nil {
			return nil, errors.New("ktable: metadata without a topic name")
		}
		if t.ErrorCode != 0 {
			return nil, fmt.Errorf("ktable: topic %s: error code %d", *t.Topic, t.ErrorCode)
		}
		lt := kmsg.NewListOffsetsRequestTopic()
		lt.Topic = *t.Topic
		for _, p := range t.Partitions {
			lp := kmsg.NewListOffsetsRequestTopicPartition()
			lp.Partition = p.Partition
			lp.Timestamp = -1 // the end
			lt.Partitions = append(lt.Partitions, lp)
		}
		lo.Topics = append(lo.Topics, lt)
	}
	lr, err := lo.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("ktable: end offsets: %w", err)
	}
	ends := map[string]map[int32]int64{}
	for _, tr := range lr.Topics {
		ends[tr.Topic] = map[int32]int64{}
		for _, p := range tr.Partitions {
			if p.ErrorCode != 0 {
				return nil, fmt.Errorf("ktable: end offset of %s/%d: error code %d", tr.Topic, p.Partition, p.ErrorCode)
			}
			ends[tr.Topic][p.Partition] = p.Offset
		}
	}
	return ends, nil
}
