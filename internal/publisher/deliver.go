package publisher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/publisher/outbox"
)

// errPermanent marks a failure that retrying cannot fix: the entry is set
// aside (outbox.Quarantine) instead of blocking the queue.
//
// Ownership of an entry: the uploader works on it until its message is kept
// (staged), the sender from then on; the sender only touches the oldest.
var errPermanent = errors.New("cannot be delivered")

// uploader stages entries oldest first: uploads their evidence and builds
// their message. It ends when Close has stopped accepting and every entry is
// staged, or when Close gives up.
func (p *Publisher) uploader() {
	defer close(p.upDone)
	failures := 0
	for {
		id, ok := p.nextToStage()
		if !ok {
			select {
			case <-p.ob.Ready():
			case <-p.drain:
				if _, ok := p.nextToStage(); !ok {
					return
				}
			case <-p.runCtx.Done():
				return
			}
			continue
		}
		err := p.stage(id)
		if errors.Is(err, errPermanent) && p.ob.Quarantine(id, err) == nil {
			p.notify()
			continue
		}
		if p.runCtx.Err() != nil {
			return
		}
		if err == nil {
			failures = 0
			p.setStaged(id, true)
			p.notify()
			continue
		}
		failures++ // a local failure: the outbox could not be written
		p.log.Error("evidence upload failed", "entry", id, "err", err)
		if !p.sleep(p.backoff(failures)) {
			return
		}
	}
}

// sender publishes the oldest entry once it is staged, then removes it. It
// ends when the uploader has ended and no staged entry is left, or when
// Close gives up.
func (p *Publisher) sender() {
	defer close(p.done)
	finished, failures := false, 0
	for {
		ids := p.ob.List()
		if len(ids) > 0 && p.isStaged(ids[0]) {
			err := p.send(ids[0])
			if errors.Is(err, errPermanent) && p.ob.Quarantine(ids[0], err) == nil {
				p.setStaged(ids[0], false)
				continue
			}
			if p.runCtx.Err() != nil {
				return
			}
			if err == nil {
				failures = 0
				continue
			}
			failures++
			p.log.Error("publish failed", "entry", ids[0], "err", err)
			if !p.sleep(p.backoff(failures)) {
				return
			}
			continue
		}
		if finished {
			return
		}
		select {
		case <-p.uploaded:
		case <-p.upDone:
			finished = true
		case <-p.runCtx.Done():
			return
		}
	}
}

func (p *Publisher) notify() {
	select {
	case p.uploaded <- struct{}{}:
	default:
	}
}

func (p *Publisher) nextToStage() (string, bool) {
	for _, id := range p.ob.List() {
		if !p.isStaged(id) {
			return id, true
		}
	}
	return "", false
}

func (p *Publisher) isStaged(id string) bool {
	p.stagedMu.Lock()
	defer p.stagedMu.Unlock()
	return p.staged[id]
}

func (p *Publisher) setStaged(id string, on bool) {
	p.stagedMu.Lock()
	defer p.stagedMu.Unlock()
	if on {
		p.staged[id] = true
	} else {
		delete(p.staged, id)
	}
}

// stage uploads the evidence of entry id that is not stored yet, then
// builds its message and keeps it in the outbox.
func (p *Publisher) stage(id string) error {
	e, err := p.ob.Load(id)
	if err != nil {
		return fmt.Errorf("%w: %w", errPermanent, err)
	}
	w := &wireCase{Case: &cases.Case{}}
	if err := json.Unmarshal(e.Case, w); err != nil {
		return fmt.Errorf("%w: case JSON: %w", errPermanent, err)
	}
	rebuild := e.Message == nil
	for _, obj := range e.Objects {
		if st, ok := e.Stored[obj.Name]; ok && st.Bucket == p.deps.Store.Bucket() {
			continue // stored before, possibly by an earlier process
		}
		data, err := p.ob.ReadObject(e, obj.Name)
		if err != nil {
			return fmt.Errorf("%w: %w", errPermanent, err)
		}
		var st evidence.Stored
		err = p.retry(func(ctx context.Context) error {
			var err error
			st, err = p.deps.Store.Put(ctx, evidence.Object{Key: obj.Key, ContentType: obj.ContentType, Data: data})
			return err
		})
		if err != nil {
			return fmt.Errorf("case %s: store %s: %w", w.CaseID, obj.Key, err)
		}
		if err := p.ob.MarkStored(e, obj.Name, st); err != nil {
			return err
		}
		rebuild = true
	}
	if !rebuild {
		return nil
	}
	msg, err := p.finish(w, e)
	if err != nil {
		return fmt.Errorf("%w: case %s: %w", errPermanent, w.CaseID, err)
	}
	return p.ob.SetMessage(e, msg)
}

// send publishes the kept message of staged entry id (after a restart, the
// very message built before) and removes the entry.
func (p *Publisher) send(id string) error {
	e, err := p.ob.Load(id)
	if err != nil {
		return fmt.Errorf("%w: %w", errPermanent, err)
	}
	pub := &wireCase{Case: &cases.Case{}}
	if err := json.Unmarshal(e.Message, pub); err != nil {
		return fmt.Errorf("%w: message JSON: %w", errPermanent, err)
	}
	p.hook(HookStored, pub.CaseID)
	if err := p.retry(func(ctx context.Context) error { return p.write(ctx, caseMessage(pub, e.Message)) }); err != nil {
		return fmt.Errorf("case %s: publish: %w", pub.CaseID, err)
	}
	p.hook(HookPublished, pub.CaseID)
	if err := p.ob.Done(id); err != nil {
		return err
	}
	p.setStaged(id, false)
	p.published.Add(1)
	now := p.deps.Now()
	p.log.Info("case published", "camera", pub.Camera.ID, "case", pub.CaseID, "rule", pub.Rule.ID,
		"dwell_s", int(pub.DwellS), "after_confirm", now.Sub(pub.ConfirmedAt).Round(time.Millisecond),
		"queued", now.Sub(e.Enqueued).Round(time.Millisecond))
	if p.deps.OnPublished != nil {
		p.deps.OnPublished(pub.Case)
	}
	return nil
}

// finish completes the case of entry e with where its evidence was stored
// and the publication time, checks it and encodes the message.
func (p *Publisher) finish(w *wireCase, e *outbox.Entry) ([]byte, error) {
	byKey := map[string]evidence.Stored{}
	for _, obj := range e.Objects {
		byKey[obj.Key] = e.Stored[obj.Name]
	}
	for i := range w.Evidence {
		ev := &w.Evidence[i]
		st, ok := byKey[ev.Key]
		if !ok || st.Key == "" {
			return nil, fmt.Errorf("evidence %s was not stored", ev.Key)
		}
		ev.Bucket, ev.SHA256, ev.Size, ev.ContentType, ev.URL = st.Bucket, st.SHA256, st.Size, st.ContentType, st.URL
	}
	w.PublishedAt = p.deps.Now().UTC()
	if err := w.Validate(); err != nil {
		return nil, err
	}
	msg, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	if err := cases.ValidateCaseJSON(msg); err != nil {
		return nil, err
	}
	return msg, nil
}
