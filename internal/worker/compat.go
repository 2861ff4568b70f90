package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/kafka"
	"github.com/patrol-city/patrol/internal/kafka/ktable"
)

// KafkaSecurity is kafka.SecurityFor.
//
// Deprecated: use kafka.SecurityFor; kept while the end-to-end tests move.
func KafkaSecurity(k config.Kafka) (kafka.Security, error) { return kafka.SecurityFor(k) }

// Table is kafka.Table.
//
// Deprecated: use kafka.Table.
type Table = kafka.Table

// RegistryTopic is kafka.RegistryTopic.
//
// Deprecated: use kafka.RegistryTopic.
func RegistryTopic(cfg *config.Config) kafka.Topic { return kafka.RegistryTopic(cfg) }

// OpenTable is kafka.OpenTable.
//
// Deprecated: use kafka.OpenTable.
func OpenTable(ctx context.Context, cfg *config.Config, topic kafka.Topic, timeout time.Duration, log *slog.Logger, onChange func(ktable.Entry)) (*kafka.Table, error) {
	return kafka.OpenTable(ctx, cfg, topic, kafka.TableOptions{Timeout: timeout, Logger: log, OnChange: onChange})
}
