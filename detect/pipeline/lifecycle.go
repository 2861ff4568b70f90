package pipeline

import (
	"encoding/json"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"time"

	"github.com/patrol-city/patrol/config/safepath"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/detect"
)

// openCase is a case between "opened" and "closed". Open cases are kept on
// disk (DataDir/cases/<camera>.json), so a restarted worker continues them
// instead of opening them again.
type openCase struct {
	CaseID      string          `json:"case_id"`
	RuleID      string          `json:"rule_id"`
	ZoneID      string          `json:"zone_id"`
	TrackID     uint64          `json:"track_id"` // 0 until re-attached after a restart
	Label       string          `json:"label"`
	Box         image.Rectangle `json:"box"`
	FirstSeen   time.Time       `json:"first_seen"`
	ConfirmedAt time.Time       `json:"confirmed_at"`
	LastSeen    time.Time       `json:"last_seen"`
	LastEvent   time.Time       `json:"last_event"`
	Seq         int             `json:"seq"`
	Objects     []cases.Object  `json:"objects"`
}

// caseBook holds a camera's open cases and persists them.
type caseBook struct {
	path  string
	open  []*openCase
	dirty bool
}

func loadCaseBook(dir, camera string) (*caseBook, error) {
	path, err := safepath.Join(filepath.Join(dir, "cases"), camera+".json")
	if err != nil {
		return nil, fmt.Errorf("open cases: %w", err)
	}
	b := &caseBook{path: path}
	raw, err := os.ReadFile(b.path)
	if os.IsNotExist(err) {
		return b, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open cases: %w", err)
	}
	if err := json.Unmarshal(raw, &b.open); err != nil {
		return nil, fmt.Errorf("open cases %s: %w", b.path, err)
	}
	for _, c := range b.open {
		c.TrackID = 0 // track ids do not survive a restart
	}
	return b, nil
}

// save hands a snapshot of the open cases to the pipeline's book store,
// which writes it off the detector's goroutine.
func (b *caseBook) save(store *bookStore) error {
	if !b.dirty {
		return nil
	}
	raw, err := json.Marshal(b.open)
	if err != nil {
		return err
	}
	store.put(b.path, raw)
	b.dirty = false
	return nil
}

// find returns the open case an event belongs to: same rule and zone, and
// the same track, or (after a restart) an unattached case at the same place.
func (b *caseBook) find(ev detect.Event) *openCase {
	for _, c := range b.open {
		if c.RuleID != ev.RuleID || c.ZoneID != ev.ZoneID {
			continue
		}
		if c.TrackID == ev.TrackID || (c.TrackID == 0 && detect.IoU(c.Box, ev.Box) >= 0.4) {
			return c
		}
	}
	return nil
}

// attach links unattached cases (after a restart) to a track seen at the
// same place.
func (b *caseBook) attach(tracks []*detect.Track, now time.Time) {
	for _, c := range b.open {
		if c.TrackID != 0 {
			continue
		}
		for _, t := range tracks {
			if t.LastSeen.Equal(now) && detect.IoU(c.Box, t.Box) >= 0.4 && b.unused(t.ID) {
				c.TrackID, b.dirty = t.ID, true
				break
			}
		}
	}
}

func (b *caseBook) unused(id uint64) bool {
	for _, c := range b.open {
		if c.TrackID == id {
			return false
		}
	}
	return true
}

func (b *caseBook) remove(c *openCase) {
	for i, x := range b.open {
		if x == c {
			b.open = append(b.open[:i], b.open[i+1:]...)
			b.dirty = true
			return
		}
	}
}
