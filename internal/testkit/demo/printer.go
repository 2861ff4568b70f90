package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
)

// printCases reads the topic from the beginning, appends every message value
// unchanged to path (one per line) and prints a readable line per case.
func printCases(ctx context.Context, brokers []string, topic, path string, store *evidence.Dir, out io.Writer) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer f.Close()
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: brokers, Topic: topic, Partition: 0, MinBytes: 1, MaxBytes: 10 << 20,
		MaxWait: 500 * time.Millisecond,
	})
	defer r.Close()
	for {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return fmt.Errorf("demo: read cases: %w", err)
		}
		if _, err := f.Write(append(m.Value, '\n')); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		var c cases.Case
		if err := json.Unmarshal(m.Value, &c); err != nil {
			fmt.Fprintf(out, "unreadable case message at offset %d: %v\n", m.Offset, err)
			continue
		}
		line := fmt.Sprintf("CASE %s  camera=%s  rule=%s %s %s  dwell=%.0fs", c.CaseID, c.Camera.ID, c.Rule.ID, c.Rule.Code, c.Rule.Name, c.DwellS)
		for _, e := range c.Evidence {
			line += fmt.Sprintf("  %s=%s", e.Kind, store.Path(e.Key))
		}
		fmt.Fprintln(out, line)
	}
}
