package worker

import (
	"context"
	"encoding/json"
	"log/slog"
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
}

func newSuppressions(cfg *config.Config, sec kafka.Security, log *slog.Logger) (*suppressions, error) {
	t, err := ktable.New(sec.TableConfig(cfg.Kafka.Brokers, cfg.Console.SuppressionsTopic), ktable.Deps{Logger: log})
	if err != nil {
		return nil, err
	}
	return &suppressions{table: t, log: log, done: make(chan struct{})}, nil
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

// Suppressed implements pipeline.Suppressor.
func (s *suppressions) Suppressed(camera, zone, label string, b [4]float64, at time.Time) (string, bool) {
	for _, e := range s.table.All() {
		var sp cases.Suppression
		if err := json.Unmarshal(e.Value, &sp); err != nil {
			continue // a record the console did not write; its schema is checked there
		}
		if sp.CameraID == camera && sp.Covers(zone, label, b, at) {
			return sp.ID, true
		}
	}
	return "", false
}
