package publisher

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/publisher/outbox"
	"github.com/patrol-city/patrol/internal/publisher/snapshot"
)

// Accept waits for the post-roll of c (cut short by Close), cuts its clip
// and snapshot and writes the case with both to the outbox. When it returns
// nil the case is on disk (fsynced) and will be delivered, also after a
// crash when Config.Outbox.Dir is set. When the outbox is full it returns an
// error wrapping outbox.ErrFull (counted in Stats().Outbox.Refused) and the
// case is dropped; other failures are counted in Stats().Failed.
func (p *Publisher) Accept(c Candidate) error {
	err := p.accept(c)
	if err != nil && !errors.Is(err, outbox.ErrFull) {
		p.failed.Add(1)
	}
	return err
}

func (p *Publisher) accept(c Candidate) error {
	if c.Event == "" {
		c.Event = cases.EventOpened
	}
	if c.Seq == 0 {
		c.Seq = 1
	}
	if c.At.IsZero() {
		c.At = c.ConfirmedAt
	}
	if c.Event != cases.EventOpened {
		return p.acceptLater(c)
	}
	wait := c.ConfirmedAt.Add(p.cfg.PostRoll).Sub(p.deps.Now())
	if wait > 0 && !c.Recovered { // a recovered case's post-roll died with its ring
		select {
		case <-p.deps.After(wait):
		case <-p.acceptCtx.Done():
		}
	}
	if c.Clips == nil && !c.Recovered {
		return errors.New("publisher: candidate without clip source")
	}
	cs := &cases.Case{
		SchemaVersion: cases.SchemaVersion,
		CaseID:        cases.ID(c.Camera.ID, c.Rule.ID, c.ZoneID, c.TrackID, c.FirstSeen),
		Event:         cases.EventOpened,
		Worker:        p.cfg.Worker,
		Rule:          c.Rule,
		Camera:        c.Camera,
		ZoneID:        c.ZoneID,
		Severity:      c.Severity,
		FirstSeen:     c.FirstSeen.UTC(),
		ConfirmedAt:   c.ConfirmedAt.UTC(),
		DwellS:        c.ConfirmedAt.Sub(c.FirstSeen).Seconds(),
		Objects:       c.Objects,
		Model:         p.cfg.Model,
		EventTime:     c.At.UTC(),
		Recovered:     c.Recovered,
		Explanation:   explain(c),
		Plate:         c.Plate,
		Warning:       c.Warning,
	}
	if c.CaseID != "" {
		cs.CaseID = c.CaseID
	}
	prefix := fmt.Sprintf("%s/%s/%s/", c.Camera.ID, c.ConfirmedAt.UTC().Format("2006/01/02"), cs.CaseID)

	items, err := p.evidencePack(c, cs.CaseID, prefix)
	if err != nil {
		return fmt.Errorf("case %s: %w", cs.CaseID, err)
	}
	var objs []outbox.Object
	for _, it := range items {
		// Bucket, sha256 and size are set again from the store's answer
		// before publishing.
		objs = append(objs, it.obj)
		cs.Evidence = append(cs.Evidence, it.ev)
	}
	// Provisional: set again when the case is published.
	cs.PublishedAt = p.deps.Now().UTC()
	if err := cs.Validate(); err != nil {
		return err
	}
	raw, err := json.Marshal(&wireCase{Case: cs, Seq: c.Seq})
	if err != nil {
		return fmt.Errorf("case %s: encode: %w", cs.CaseID, err)
	}
	if err := cases.ValidateCaseJSON(raw); err != nil {
		return fmt.Errorf("case %s: %w", cs.CaseID, err)
	}
	id, err := p.ob.Enqueue(outbox.Pending{Label: cs.CaseID, Case: raw, Objects: objs})
	if err != nil {
		return fmt.Errorf("case %s: %w", cs.CaseID, err)
	}
	p.log.Debug("case accepted", "camera", c.Camera.ID, "case", cs.CaseID, "entry", id)
	return nil
}

// acceptLater enqueues an event other than "opened" ("updated", "closed",
// "warning", "withdrawn"): the case as opened (or warned), the event time,
// and a fresh snapshot as its evidence.
func (p *Publisher) acceptLater(c Candidate) error {
	if c.CaseID == "" {
		return errors.New("publisher: later case event without case id")
	}
	lastSeen := c.LastSeen.UTC()
	cs := &cases.Case{
		SchemaVersion: cases.SchemaVersion, CaseID: c.CaseID, Event: c.Event, Worker: p.cfg.Worker,
		Rule: c.Rule, Camera: c.Camera, ZoneID: c.ZoneID,
		FirstSeen: c.FirstSeen.UTC(), ConfirmedAt: c.ConfirmedAt.UTC(),
		DwellS:  c.LastSeen.Sub(c.FirstSeen).Seconds(),
		Objects: c.Objects, Model: p.cfg.Model, EventTime: c.At.UTC(), LastSeen: &lastSeen,
		Explanation: explain(c), Severity: c.Severity, Plate: c.Plate, Warning: c.Warning,
	}
	var boxes []snapshot.Box
	if c.Event == cases.EventUpdated || c.Event == cases.EventWarning {
		for i, b := range c.Boxes {
			o := c.Objects[min(i, len(c.Objects)-1)]
			boxes = append(boxes, snapshot.Box{Label: o.Label, Score: float32(o.Score), Rect: b, Color: color.RGBA{R: 255, A: 255}})
		}
	}
	snap, err := snapshot.Encode(&c.Frame, boxes, c.Zone)
	if err != nil {
		return fmt.Errorf("case %s: snapshot: %w", cs.CaseID, err)
	}
	name := fmt.Sprintf("snapshot-%d-%s.jpg", c.Seq, c.Event)
	key := fmt.Sprintf("%s/%s/%s/%s", c.Camera.ID, c.ConfirmedAt.UTC().Format("2006/01/02"), cs.CaseID, name)
	sum := sha256.Sum256(snap)
	role := ""
	switch c.Event {
	case cases.EventClosed, cases.EventWithdrawn:
		role = "recheck" // the spot after the object has gone (核查)
	case cases.EventWarning:
		role = "warning"
	}
	cs.Evidence = []cases.Evidence{{Kind: "snapshot", Role: role, Bucket: p.deps.Store.Bucket(), Key: key,
		SHA256: hex.EncodeToString(sum[:]), Size: int64(len(snap)), ContentType: "image/jpeg"}}
	cs.PublishedAt = p.deps.Now().UTC()
	raw, err := json.Marshal(&wireCase{Case: cs, Seq: c.Seq})
	if err != nil {
		return fmt.Errorf("case %s: encode: %w", cs.CaseID, err)
	}
	if err := cases.ValidateCaseJSON(raw); err != nil {
		return fmt.Errorf("case %s: %w", cs.CaseID, err)
	}
	_, err = p.ob.Enqueue(outbox.Pending{Label: fmt.Sprintf("%s-%d", cs.CaseID, c.Seq), Case: raw,
		Objects: []outbox.Object{{Name: name, Key: key, ContentType: "image/jpeg", Data: snap}}})
	if err != nil {
		return fmt.Errorf("case %s: %w", cs.CaseID, err)
	}
	return nil
}

// explain returns the candidate's explanation, or one saying only the
// dwell for a case opened before explanations existed.
func explain(c Candidate) *cases.Explanation {
	if c.Why != nil {
		return c.Why
	}
	return &cases.Explanation{DwellS: c.ConfirmedAt.Sub(c.FirstSeen).Seconds(), ScoreStat: cases.StatUnknown, LookMatch: 1, Presence: 1}
}
