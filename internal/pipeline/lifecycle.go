package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"time"

	"github.com/patrol-city/patrol/internal/safepath"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/detect"
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
	// Why is the explanation sent with every event of the case (nil in a
	// book written before explanations).
	Why *cases.Explanation `json:"why,omitempty"`
	// Severity is the rule's level last sent ("" none).
	Severity string `json:"severity,omitempty"`
	// Plate is the subject vehicle's plate read at the opening (nil: the
	// rule reads none).
	Plate *cases.Plate `json:"plate,omitempty"`
	// Warning is the correction window of a rule that warns first (nil:
	// none); Warned is true while the window runs and the case is not
	// opened yet (warning.go).
	Warning *cases.Warning `json:"warning,omitempty"`
	Warned  bool           `json:"warned,omitempty"`
	// resumed is when this worker loaded the case from a book (a restart,
	// or a camera taken over in a fleet): its object has close_after from
	// then to be seen again before the case closes.
	resumed time.Time
}

// unseenSince is when the case's object was last known to be there.
func (c *openCase) unseenSince() time.Time {
	if c.resumed.After(c.LastSeen) {
		return c.resumed
	}
	return c.LastSeen
}

// continueWith hands the case to another track of the same object (its
// track broke up); later events say so (explanation.continued).
func (c *openCase) continueWith(track uint64) {
	if c.TrackID != track && c.TrackID != 0 && c.Why != nil {
		c.Why.Continued = true
	}
	c.TrackID = track
}

// caseBook holds a camera's open cases and persists them: on the local
// disk whenever they change (dirty), and in the shared case state (a
// fleet's topic) on lifecycle changes (opened, updated, closed) and at
// most every shareEvery while cases are open, so that their last sighting
// stays recent there.
type caseBook struct {
	camera string
	path   string
	open   []*openCase
	dirty  bool
	// lifecycle is set when a case opened, advanced or closed.
	lifecycle  bool
	sharedAt   time.Time
	shareEvery time.Duration
	// unreadable says why a stored book was not used (the shared
	// record or the local file did not parse): the camera starts all the
	// same, with the other book or none, and the caller logs it.
	unreadable error
}

// loadCaseBook reads a camera's open cases: from the shared state when it
// knows the camera (another worker may have advanced them), else from dir.
// A shared record that fails the case-state schema is passed over for the
// local file; a local file that does not parse is set aside as
// <camera>.json.bad; either way the camera starts (b.unreadable says why).
func loadCaseBook(dir, camera string, shared CaseState, now time.Time) (*caseBook, error) {
	path, err := safepath.Join(filepath.Join(dir, "cases"), camera+".json")
	if err != nil {
		return nil, fmt.Errorf("open cases: %w", err)
	}
	b := &caseBook{camera: camera, path: path}
	loaded := false
	if shared != nil {
		if v, ok := shared.Load(camera); ok {
			if err := decodeBook(v, &b.open); err != nil {
				b.unreadable = fmt.Errorf("open cases from the shared case state: %w", err)
			} else {
				loaded = true
			}
		}
	}
	if !loaded {
		raw, err := os.ReadFile(b.path)
		switch {
		case os.IsNotExist(err):
			return b, nil
		case err != nil:
			return nil, fmt.Errorf("open cases: %w", err)
		}
		if err := decodeBook(raw, &b.open); err != nil {
			b.open = nil
			b.unreadable = errors.Join(b.unreadable, fmt.Errorf("open cases from %s (set aside as .bad): %w", b.path, err))
			if err := os.Rename(b.path, b.path+".bad"); err != nil {
				return nil, fmt.Errorf("open cases: %w", err)
			}
		}
	}
	for _, c := range b.open {
		c.TrackID = 0 // track ids do not survive a restart
		c.resumed = now
	}
	return b, nil
}

// decodeBook parses a stored book: valid against the case-state schema,
// every case with a case id, rule and zone.
func decodeBook(raw []byte, open *[]*openCase) error {
	if err := cases.ValidateCaseStateJSON(raw); err != nil {
		return err
	}
	var out []*openCase
	if err := json.Unmarshal(raw, &out); err != nil {
		return err
	}
	for _, c := range out {
		if c == nil || c.CaseID == "" || c.RuleID == "" || c.ZoneID == "" {
			return errors.New("a case without id, rule or zone")
		}
	}
	*open = out
	return nil
}

// save hands a snapshot of the open cases to the pipeline's book store,
// which writes it off the detector's goroutine, and, on a lifecycle
// change or when the last share is older than shareEvery, to the shared
// store (nil: none). now is the picture's time.
func (b *caseBook) save(store, shared *bookStore, now time.Time) error {
	share := shared != nil && (b.lifecycle || (len(b.open) > 0 && now.Sub(b.sharedAt) >= b.shareEvery))
	if !b.dirty && !share {
		return nil
	}
	raw, err := json.Marshal(b.open)
	if err != nil {
		return err
	}
	if b.dirty {
		store.put(b.path, raw)
		b.dirty = false
	}
	if share {
		shared.put(b.camera, raw)
		b.lifecycle, b.sharedAt = false, now
	}
	return nil
}

// seenNow returns the ids of the tracks matched in the picture at now.
func seenNow(tracks []*detect.Track, now time.Time) map[uint64]bool {
	ids := make(map[uint64]bool, len(tracks))
	for _, t := range tracks {
		if t.LastSeen.Equal(now) {
			ids[t.ID] = true
		}
	}
	return ids
}

// ownIoU is the overlap with an open case's last box from which an object
// at rest continues that case.
const ownIoU = 0.4

// find returns the open case an event belongs to, in the same rule and
// zone: the case of the same track; else a case whose own track is not in
// view (inView false: gone, or unattached after a restart) and whose last
// box the event's object overlaps by ownIoU. An open case owns its place
// until it closes (cases.close_after): a parked car whose track broke up
// (a long occlusion, a label flip, a score dip) continues its case instead
// of opening a second one, while an object beside a case whose own object
// is still tracked opens its own.
func (b *caseBook) find(ev detect.Event, inView map[uint64]bool) *openCase {
	var best *openCase
	bestIoU := ownIoU
	for _, c := range b.open {
		if c.RuleID != ev.RuleID || c.ZoneID != ev.ZoneID {
			continue
		}
		if c.TrackID == ev.TrackID {
			return c
		}
		if c.TrackID != 0 && inView[c.TrackID] {
			continue
		}
		if iou := detect.IoU(c.Box, ev.Box); iou >= bestIoU {
			best, bestIoU = c, iou
		}
	}
	return best
}

// attach links each case whose own track is not in view (unattached
// after a restart, or its track gone) to a track seen now at the case's
// place: one its rule applies to (accepts), at rest (Still) over the
// case's last box by ownIoU, and not another case's. The case then stays
// alive through a broken-up track; a passing object, not at rest, and an
// object of another kind (a person standing where a car was) never take
// a case over.
func (b *caseBook) attach(tracks []*detect.Track, inView map[uint64]bool, accepts func(c *openCase, t *detect.Track) bool) {
	for _, c := range b.open {
		if c.TrackID != 0 && inView[c.TrackID] {
			continue
		}
		for _, t := range tracks {
			restarted := c.TrackID == 0 // the book came from disk: any track at the place
			if inView[t.ID] && accepts(c, t) && (restarted || t.Still) && detect.IoU(c.Box, t.Box) >= ownIoU && b.unused(t.ID) {
				c.continueWith(t.ID)
				b.dirty = true
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
			b.dirty, b.lifecycle = true, true
			return
		}
	}
}
