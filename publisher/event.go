package publisher

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/patrol-city/patrol/cases"
)

// CloudEvents attributes of case messages (binary content mode: the value is
// the case JSON, the attributes travel in Kafka headers ce_*).
const (
	// CloudEventsSpecVersion is the value of header ce_specversion.
	CloudEventsSpecVersion = "1.0"
	// CaseEventTypePrefix precedes the case event in ce_type:
	// "patrol.case.opened".
	CaseEventTypePrefix = "patrol.case."
	// SourcePrefix precedes the (path-escaped) worker name in ce_source:
	// "/patrol/workers/w1".
	SourcePrefix = "/patrol/workers/"
)

// ErrRejected is returned (wrapped) by a writer when the broker refused a
// message for good (too large, invalid): retrying would not help.
var ErrRejected = errors.New("publisher: message rejected by the broker")

// Message is one case message: its Kafka key and value and its CloudEvents
// attributes. Every attribute is derived from the case, so a message
// published again carries the same ones.
type Message struct {
	// Key is the camera id.
	Key string
	// Value is the case JSON.
	Value []byte
	// ID is ce_id: "<case_id>:<seq>", the de-duplication key.
	ID string
	// Source is ce_source: SourcePrefix + worker.
	Source string
	// Type is ce_type: CaseEventTypePrefix + event ("patrol.case.opened").
	Type string
	// Subject is ce_subject: the case id.
	Subject string
	// Time is ce_time: when the case event happened (confirmed_at for
	// "opened").
	Time time.Time
}

// MessageWriter publishes a message with its CloudEvents headers;
// KafkaWriter implements it. A CaseWriter that does not is given the key and
// value only.
type MessageWriter interface {
	WriteMessage(ctx context.Context, m Message) error
}

// wireCase is the value of a case message: the case and its per-case
// sequence number (1 for "opened"; later events of the case count up).
type wireCase struct {
	*cases.Case
	Seq int `json:"seq"`
}

// caseMessage returns the message of a case event.
func caseMessage(w *wireCase, value []byte) Message {
	return Message{
		Key:     w.Camera.ID,
		Value:   value,
		ID:      fmt.Sprintf("%s:%d", w.CaseID, w.Seq),
		Source:  SourcePrefix + url.PathEscape(w.Worker),
		Type:    CaseEventTypePrefix + w.Event,
		Subject: w.CaseID,
		Time:    eventTime(w.Case),
	}
}

// write publishes m through the configured writer.
func (p *Publisher) write(ctx context.Context, m Message) error {
	if mw, ok := p.deps.Cases.(MessageWriter); ok {
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
