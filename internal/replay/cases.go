package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/patrol-city/patrol/cases"
)

// collector is the replay's case writer: it keeps every case event the
// publisher delivers, checked against the case schema as Kafka consumers
// would read it.
type collector struct {
	mu     sync.Mutex
	events []Event
	err    error
}

// Event is one case event as an integrator reads it from Kafka: the case
// and its per-case sequence number.
type Event struct {
	cases.Case
	Seq int `json:"seq"`
}

// WriteCase implements publisher.CaseWriter.
func (c *collector) WriteCase(_ context.Context, _ string, value []byte) error {
	var cs Event
	err := cases.ValidateCaseJSON(value)
	if err == nil {
		err = json.Unmarshal(value, &cs)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		// Not retried: a case that fails its schema is a bug to report.
		if c.err == nil {
			c.err = fmt.Errorf("replay: case fails the schema: %w", err)
		}
		return nil
	}
	c.events = append(c.events, cs)
	return nil
}

func (c *collector) failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.events)
}

// sorted returns the events by event time, case id and seq.
func (c *collector) sorted() []Event {
	c.mu.Lock()
	out := append([]Event(nil), c.events...)
	c.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.EventTime.Equal(b.EventTime) {
			return a.EventTime.Before(b.EventTime)
		}
		if a.CaseID != b.CaseID {
			return a.CaseID < b.CaseID
		}
		return a.Seq < b.Seq
	})
	return out
}
