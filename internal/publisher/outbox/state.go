package outbox

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/patrol-city/patrol/internal/publisher/evidence"
)

// MarkStored records durably that object name of e is stored as st.
func (o *Outbox) MarkStored(e *Entry, name string, st evidence.Stored) error {
	e.Stored[name] = st
	raw, err := json.MarshalIndent(stateFile{Stored: e.Stored}, "", "  ")
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if err := ReplaceFile(filepath.Join(o.cfg.Dir, e.ID), "state.json", raw); err != nil {
		return err
	}
	o.resize(e.ID, int64(len(raw))-e.stateSize)
	e.stateSize = int64(len(raw))
	return nil
}

// SetMessage records durably the final message of e, so that a message
// published again after a crash is byte-for-byte the same.
func (o *Outbox) SetMessage(e *Entry, msg []byte) error {
	if err := ReplaceFile(filepath.Join(o.cfg.Dir, e.ID), "message.json", msg); err != nil {
		return err
	}
	o.resize(e.ID, int64(len(msg))-e.msgSize)
	e.Message, e.msgSize = msg, int64(len(msg))
	return nil
}

// Done removes a delivered entry. Once it returns nil the entry will not be
// delivered again, even after a crash.
func (o *Outbox) Done(id string) error {
	del := filepath.Join(o.cfg.Dir, "del-"+id)
	if err := os.Rename(filepath.Join(o.cfg.Dir, id), del); err != nil {
		return fmt.Errorf("outbox: done %s: %w", id, err)
	}
	if err := syncDir(o.cfg.Dir); err != nil {
		return err
	}
	o.drop(id)
	o.mu.Lock()
	o.st.Done++
	o.mu.Unlock()
	if err := os.RemoveAll(del); err != nil {
		o.log.Warn("outbox: remove delivered entry", "entry", id, "err", err)
	}
	return nil
}

// Quarantine sets entry id aside as bad-<id> (kept for inspection, no longer
// delivered nor counted in the depth), noting reason in its REASON file.
func (o *Outbox) Quarantine(id string, reason error) error {
	o.log.Error("outbox: entry set aside, it will not be delivered", "entry", id, "dir", o.cfg.Dir, "err", reason)
	_ = os.WriteFile(filepath.Join(o.cfg.Dir, id, "REASON"), []byte(reason.Error()+"\n"), 0o644)
	return o.setAside(id)
}

func (o *Outbox) setAside(id string) error {
	if err := os.Rename(filepath.Join(o.cfg.Dir, id), filepath.Join(o.cfg.Dir, "bad-"+id)); err != nil {
		return fmt.Errorf("outbox: set aside %s: %w", id, err)
	}
	o.drop(id)
	o.mu.Lock()
	o.st.Quarantined++
	o.mu.Unlock()
	return syncDir(o.cfg.Dir)
}
