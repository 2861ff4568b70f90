package worker

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/kafka"
	"github.com/patrol-city/patrol/internal/kafka/ktable"
)

// suppressions follows the console's suppressions topic (compacted; a
// tombstone removes one) and answers the pipeline's question whether a new
// case is covered by one. It starts empty and fills once Kafka answers;
// the topic is created by the Kafka dependency check.
type suppressions struct {
	table *ktable.Table
	log   *slog.Logger
	stop  context.CancelFunc
	done  chan struct{}

	mu sync.Mutex
	// parsed holds each record as read, by key: the suppression, or why it
	// was refused (logged once), for the record at offset.
	parsed map[string]parsedSuppression
}

// parsedSuppression is a suppressions record checked against the schema.
type parsedSuppression struct {
	partition int32
	offset    int64
	sp        cases.Suppression
	err       error
}

func newSuppressions(cfg *config.Config, sec kafka.Security, log *slog.Logger) (*suppressions, error) {
	t, err := ktable.New(sec.TableConfig(cfg.Kafka.Brokers, cfg.Console.SuppressionsTopic), ktable.Deps{Logger: log})
	if err != nil {
		return nil, err
	}
	return &suppressions{table: t, log: log, done: make(chan struct{}), parsed: map[string]parsedSuppression{}}, nil
}

// start follows the topic until close.
func (s *suppressions) start() {
	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	go func() { defer close(s.done); _ = s.table.Run(ctx) }()
}

func (s *suppressions) close() {
	if s.stop != nil {
		s.stop()
		<-s.done
	}
	s.table.Close()
}

// Suppressed implements pipeline.Suppressor. Only records valid against
// the suppressions schema count; the others are logged once and skipped.
func (s *suppressions) Suppressed(camera, zone, label string, b [4]float64, at time.Time) (string, bool) {
	for _, e := range s.table.All() {
		p := s.parse(e)
		if p.err == nil && p.sp.CameraID == camera && p.sp.Covers(zone, label, b, at) {
			return p.sp.ID, true
		}
	}
	return "", false
}

// parse checks and decodes a record once per offset.
func (s *suppressions) parse(e ktable.Entry) parsedSuppression {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.parsed[e.Key]; ok && p.partition == e.Partition && p.offset == e.Offset {
		return p
	}
	p := parsedSuppression{partition: e.Partition, offset: e.Offset}
	if p.err = cases.ValidateSuppressionJSON(e.Value); p.err == nil {
		p.err = json.Unmarshal(e.Value, &p.sp)
	}
	if p.err != nil {
		s.log.Warn("suppression record refused: it does not pass the schema", "key", e.Key, "offset", e.Offset, "err", p.err)
	}
	if len(s.parsed) > 100000 {
		s.parsed = map[string]parsedSuppression{} // a bound; records are parsed again
	}
	s.parsed[e.Key] = p
	return p
}
