package publisher

import (
	"encoding/json"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/publisher/outbox"
	"github.com/patrol-city/patrol/internal/publisher/snapshot"
	"github.com/patrol-city/patrol/internal/safepath"
)

// A pending record keeps an "opened" candidate on disk from the moment the
// rule fired until the case is in the outbox (after the post-roll): a worker
// killed during the post-roll finds it at the next start and completes the
// case, with the clip it can still cut from the camera's history on disk
// (Deps.RecoveryClips) and the confirmation picture kept in the record. Such
// a case carries "recovered": true.

// pendingRecord is the JSON of a pending candidate; the confirmation picture
// is kept beside it as <case>.jpg and the clip recorded so far (pre-roll up
// to the moment the rule fired: the ring buffer is lost with the process) as
// <case>.mp4.
type pendingRecord struct {
	Version     int                `json:"version"`
	CaseID      string             `json:"case_id"`
	Rule        cases.Rule         `json:"rule"`
	Camera      cases.Camera       `json:"camera"`
	ZoneID      string             `json:"zone_id"`
	Zone        [][2]float64       `json:"zone"`
	TrackID     uint64             `json:"track_id"`
	FirstSeen   time.Time          `json:"first_seen"`
	ConfirmedAt time.Time          `json:"confirmed_at"`
	Objects     []cases.Object     `json:"objects"`
	Boxes       []image.Rectangle  `json:"boxes"`
	Why         *cases.Explanation `json:"why,omitempty"`
	Plate       *cases.Plate       `json:"plate,omitempty"`
	Warning     *cases.Warning     `json:"warning,omitempty"`
	// Seq is the opened event's sequence number (absent: 1; 2 after a
	// warning).
	Seq       int        `json:"seq,omitempty"`
	ClipStart *time.Time `json:"clip_start,omitempty"`
	ClipEnd   *time.Time `json:"clip_end,omitempty"`
}

// caseIDOf is the case id of a candidate ("opened" derives it).
func caseIDOf(c Candidate) string {
	if c.CaseID != "" {
		return c.CaseID
	}
	return cases.ID(c.Camera.ID, c.Rule.ID, c.ZoneID, c.TrackID, c.FirstSeen)
}

// savePending writes c's record (fsynced) before its post-roll wait.
func (p *Publisher) savePending(c Candidate) error {
	if p.cfg.PendingDir == "" {
		return nil
	}
	id := caseIDOf(c)
	if err := safepath.CheckName(id); err != nil {
		return fmt.Errorf("pending case: %w", err)
	}
	if err := os.MkdirAll(p.cfg.PendingDir, 0o750); err != nil {
		return fmt.Errorf("pending case: %w", err)
	}
	if jpg, err := snapshot.Encode(&c.Frame, nil, nil); err == nil {
		if err := outbox.ReplaceFile(p.cfg.PendingDir, id+".jpg", jpg); err != nil {
			return err
		}
	}
	rec := pendingRecord{Version: 1, CaseID: id, Rule: c.Rule, Camera: c.Camera, ZoneID: c.ZoneID,
		Zone: c.Zone, TrackID: c.TrackID, FirstSeen: c.FirstSeen, ConfirmedAt: c.ConfirmedAt, Objects: c.Objects, Boxes: c.Boxes, Why: c.Why, Plate: c.Plate,
		Warning: c.Warning, Seq: c.Seq}
	if c.Clips != nil {
		if data, s, e, err := cutClip(c.Clips, c.ConfirmedAt.Add(-p.cfg.PreRoll), p.deps.Now()); err == nil {
			if err := outbox.ReplaceFile(p.cfg.PendingDir, id+".mp4", data); err != nil {
				return err
			}
			rec.ClipStart, rec.ClipEnd = s, e
		}
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("pending case: %w", err)
	}
	return outbox.ReplaceFile(p.cfg.PendingDir, id+".json", raw)
}

// dropPending removes c's record once the case is in the outbox.
func (p *Publisher) dropPending(id string) {
	if p.cfg.PendingDir == "" || safepath.CheckName(id) != nil {
		return
	}
	for _, ext := range []string{".json", ".jpg", ".mp4"} {
		if err := safepath.RemoveAll(p.cfg.PendingDir, id+ext); err != nil {
			p.log.Warn("pending case not removed", "case", id, "err", err)
		}
	}
}

// loadPending returns the candidates a killed worker left pending, oldest
// confirmation first.
func (p *Publisher) loadPending() []Candidate {
	if p.cfg.PendingDir == "" {
		return nil
	}
	des, err := os.ReadDir(p.cfg.PendingDir)
	if err != nil {
		return nil
	}
	var out []Candidate
	for _, de := range des {
		name := de.Name()
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(p.cfg.PendingDir, name))
		var r pendingRecord
		if err == nil {
			err = json.Unmarshal(raw, &r)
		}
		if err == nil && (r.Version != 1 || r.CaseID+".json" != name) {
			err = fmt.Errorf("version %d, case %q", r.Version, r.CaseID)
		}
		if err != nil {
			p.log.Error("pending case unreadable, left in place", "file", name, "err", err)
			continue
		}
		c := Candidate{Rule: r.Rule, Camera: r.Camera, ZoneID: r.ZoneID, Zone: r.Zone, TrackID: r.TrackID,
			FirstSeen: r.FirstSeen, ConfirmedAt: r.ConfirmedAt, Objects: r.Objects, Boxes: r.Boxes, Why: r.Why, Plate: r.Plate,
			CaseID: r.CaseID, Event: cases.EventOpened, Seq: max(r.Seq, 1), Recovered: true, Warning: r.Warning}
		if jpg, err := os.ReadFile(filepath.Join(p.cfg.PendingDir, r.CaseID+".jpg")); err == nil {
			if img, err := snapshot.Decode(jpg); err == nil {
				c.Frame = *img
			}
		}
		if p.deps.RecoveryClips != nil {
			c.Clips = p.deps.RecoveryClips(r.Camera.ID)
		}
		if r.ClipStart != nil && r.ClipEnd != nil {
			if data, err := os.ReadFile(filepath.Join(p.cfg.PendingDir, r.CaseID+".mp4")); err == nil {
				c.partial = &partialClip{data: data, start: *r.ClipStart, end: *r.ClipEnd}
			}
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ConfirmedAt.Before(out[j].ConfirmedAt) })
	return out
}

// partialClip is the confirmation clip as far as it was recorded before the
// worker was killed.
type partialClip struct {
	data       []byte
	start, end time.Time
}
