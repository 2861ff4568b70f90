package detect

import (
	"errors"
	"fmt"
	"image"
	"math"
	"time"
)

// DefaultMaxMovement is the default StationaryConfig.MaxMovement.
const DefaultMaxMovement = 0.25

// StationaryConfig configures a Stationary rule. Zero fields take the
// documented defaults.
type StationaryConfig struct {
	// ID identifies the rule in events (required).
	ID string
	// Code is the violation code copied into events, e.g. "0505".
	Code string
	// Name is the human-readable violation name copied into events, e.g.
	// "机动车乱停放" (illegally parked motor vehicle).
	Name string
	// Classes are the track labels the rule applies to, e.g. car, truck,
	// bus. Empty means every label.
	Classes []string
	// ZoneID is the zone the rule watches; empty means the ID of the zone
	// passed to NewStationary, otherwise it must equal it.
	ZoneID string
	// MinDwell is how long a track must stay at rest in the zone before the
	// rule fires (required, > 0).
	MinDwell time.Duration
	// MaxMovement is how far the track's anchor may drift from where it
	// came to rest, as a fraction of the box diagonal, before the rest
	// position and dwell restart. Default 0.25.
	MaxMovement float64
	// MinScore ignores track observations scored below it (they neither
	// advance nor reset the dwell). Default 0: no filter.
	MinScore float32
}

// Event is a rule firing for one track.
type Event struct {
	// RuleID, Code and Name come from the rule's config, ZoneID from its zone.
	RuleID, Code, Name, ZoneID string
	// TrackID, Label, Score and Box describe the track when the rule fired.
	TrackID uint64
	Label   string
	Score   float32
	Box     image.Rectangle
	// FirstSeen is when the track came to rest in the zone; ConfirmedAt is
	// when the rule fired (the now passed to Update).
	FirstSeen, ConfirmedAt time.Time
	// Dwell is how long the track had been at rest in the zone.
	Dwell time.Duration
}

// restState is what Stationary remembers about one track.
type restState struct {
	lastObs time.Time // LastSeen of the last observation processed
	resting bool      // at rest inside the zone
	rest    Point     // anchor where it came to rest
	since   time.Time // when it came to rest
	fired   bool
}

// Stationary fires when a track of the configured classes stays at rest
// inside a zone for MinDwell (e.g. a vehicle parked in a no-parking zone).
// It is not safe for concurrent use.
type Stationary struct {
	cfg     StationaryConfig
	zone    Zone
	classes map[string]bool
	state   map[uint64]*restState
}

// NewStationary validates cfg and zone and returns the rule.
func NewStationary(cfg StationaryConfig, zone Zone) (*Stationary, error) {
	if cfg.ID == "" {
		return nil, errors.New("stationary rule: empty ID")
	}
	if err := zone.Validate(); err != nil {
		return nil, fmt.Errorf("stationary rule %q: %w", cfg.ID, err)
	}
	if cfg.ZoneID == "" {
		cfg.ZoneID = zone.ID
	}
	if cfg.ZoneID != zone.ID {
		return nil, fmt.Errorf("stationary rule %q: ZoneID %q but zone %q given", cfg.ID, cfg.ZoneID, zone.ID)
	}
	if cfg.MinDwell <= 0 {
		return nil, fmt.Errorf("stationary rule %q: MinDwell %v must be positive", cfg.ID, cfg.MinDwell)
	}
	if cfg.MaxMovement == 0 {
		cfg.MaxMovement = DefaultMaxMovement
	}
	if !(cfg.MaxMovement > 0) || math.IsInf(cfg.MaxMovement, 0) {
		return nil, fmt.Errorf("stationary rule %q: MaxMovement %v must be positive", cfg.ID, cfg.MaxMovement)
	}
	s := &Stationary{cfg: cfg, zone: zone, state: map[uint64]*restState{}}
	if len(cfg.Classes) > 0 {
		s.classes = map[string]bool{}
		for _, c := range cfg.Classes {
			s.classes[c] = true
		}
	}
	return s, nil
}

// Update processes the live tracks (from Tracker.Update) of a frameW x
// frameH frame at now and returns the events that fired. A track fires at
// most once, when its anchor (see Anchor) has stayed inside the zone and
// within MaxMovement of its rest position for MinDwell. Moving further
// restarts the rest position and dwell; leaving the zone or changing to a
// label outside Classes forgets the rest. Only new observations count: a
// track not matched since the last Update (LastSeen unchanged) neither
// advances nor resets, and dwell is measured up to LastSeen. State of tracks
// missing from tracks is dropped. Non-positive frame sizes yield no events.
func (s *Stationary) Update(tracks []*Track, frameW, frameH int, now time.Time) []Event {
	if frameW <= 0 || frameH <= 0 {
		return nil
	}
	var events []Event
	seen := make(map[uint64]bool, len(tracks))
	for _, t := range tracks {
		seen[t.ID] = true
		st := s.state[t.ID]
		if st == nil {
			st = &restState{}
			s.state[t.ID] = st
		}
		if st.fired || (!st.lastObs.IsZero() && !t.LastSeen.After(st.lastObs)) {
			continue
		}
		st.lastObs = t.LastSeen
		if s.classes != nil && !s.classes[t.Label] {
			st.resting = false
			continue
		}
		if t.Score < s.cfg.MinScore {
			continue
		}
		a := Anchor(t.Box, frameW, frameH)
		if !s.zone.Contains(a) {
			st.resting = false
			continue
		}
		if st.resting {
			dx := (a.X - st.rest.X) * float64(frameW)
			dy := (a.Y - st.rest.Y) * float64(frameH)
			diag := math.Hypot(float64(t.Box.Dx()), float64(t.Box.Dy()))
			if math.Hypot(dx, dy) > s.cfg.MaxMovement*diag {
				st.resting = false
			}
		}
		if !st.resting {
			st.resting, st.rest, st.since = true, a, t.LastSeen
		}
		if dwell := t.LastSeen.Sub(st.since); dwell >= s.cfg.MinDwell {
			st.fired = true
			events = append(events, Event{
				RuleID: s.cfg.ID, Code: s.cfg.Code, Name: s.cfg.Name, ZoneID: s.zone.ID,
				TrackID: t.ID, Label: t.Label, Score: t.Score, Box: t.Box,
				FirstSeen: st.since, ConfirmedAt: now, Dwell: dwell,
			})
		}
	}
	for id := range s.state {
		if !seen[id] {
			delete(s.state, id)
		}
	}
	return events
}
