package publisher

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/publisher/broker"
)

// CloudEvents attributes of case messages (binary content mode: the value is
// the case JSON, the attributes travel in Kafka headers ce_*).
const (
	// CaseEventTypePrefix precedes the case event in ce_type:
	// "patrol.case.opened".
	CaseEventTypePrefix = "patrol.case."
)

// wireCase is the value of a case message: the case and its per-case
// sequence number (1 for "opened"; later events of the case count up).
type wireCase struct {
	*cases.Case
	Seq int `json:"seq"`
}

// caseMessage returns the message of a case event.
func caseMessage(w *wireCase, value []byte) broker.Message {
	return broker.Message{
		Key:     w.Camera.ID,
		Value:   value,
		ID:      fmt.Sprintf("%s:%d", w.CaseID, w.Seq),
		Source:  broker.SourcePrefix + url.PathEscape(w.Worker),
		Type:    CaseEventTypePrefix + w.Event,
		Subject: w.CaseID,
		Time:    eventTime(w.Case),
	}
}

// write publishes m through the configured writer.
func (p *Publisher) write(ctx context.Context, m broker.Message) error {
	if mw, ok := p.deps.Cases.(broker.MessageWriter); ok {
		return mw.WriteMessage(ctx, m)
	}
	return p.deps.Cases.WriteCase(ctx, m.Key, m.Value)
}

// eventTime is ce_time: the event's own time, confirmed_at for "opened".
func eventTime(c *cases.Case) time.Time {
	if !c.EventTime.IsZero() {
		return c.EventTime
	}
	return c.ConfirmedAt
}
