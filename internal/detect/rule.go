package detect

import (
	"errors"
	"fmt"
	"image"
	"math"
	"time"
)

// Stationary defaults, used when the corresponding StationaryConfig field
// is zero.
const (
	// DefaultMaxMovement is the default StationaryConfig.MaxMovement.
	DefaultMaxMovement = 0.25
	// DefaultConfirmScore is the default StationaryConfig.ConfirmScore.
	DefaultConfirmScore = 0.3
	// DefaultConfirmScoreAtStart is the default
	// StationaryConfig.ConfirmScoreAtStart.
	DefaultConfirmScoreAtStart = 0.5
	// DefaultMinPresence is the default StationaryConfig.MinPresence.
	DefaultMinPresence = 0.5
)

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
	// ConfirmScore is the median detector score over the dwell's
	// observations that an object seen arriving must reach for the rule
	// to fire. Default 0.3 (the model's default threshold: on the real
	// clips, real vehicles at rest score down to 0.32 and phantoms up to
	// 0.44, so a higher bar costs recall without buying precision; see
	// docs/accuracy.md); negative: no check.
	ConfirmScore float32
	// ConfirmScoreAtStart is that bar for an object already there in the
	// rule's first picture (Explanation.PresentAtStart): nothing saw it
	// arrive, and permanent fixtures the detector takes for vehicles (a
	// hoarding as "truck 0.32", a burnt-in camera title as "bus 0.44")
	// are of this kind. Default 0.5; negative: no check.
	ConfirmScoreAtStart float32
	// LookMatch: an observation whose Look matches the look at the start
	// of the rest below this (Look.Match) is a different object at the
	// same place (the next car of a queue, passing traffic); twice in a row
	// and the rest restarts. Default DefaultLookMatch (0.5); negative: no
	// check.
	LookMatch float64
	// MinPresence is the share of the pictures analysed during the dwell
	// that must show the object for the rule to fire: detected, or missed
	// by the detector while its place, in plain view, still looks like it
	// (Track.Spot). Pictures in which it was hidden behind another object
	// do not count. A spot that different passing vehicles cross now and
	// then, empty in between, is not one object at rest; a parked car
	// behind a stopped bus is. Default 0.5; negative: no check.
	MinPresence float64
	// MinBoxSize ignores observations whose box's larger side is below
	// MinBoxSize times the frame height (far-away or spurious boxes), in
	// [0,1]. Default 0: no filter.
	MinBoxSize float64
	// Masks are polygons in normalized coordinates (like Zone.Polygon);
	// observations whose anchor lies in one are ignored. Default none.
	Masks [][]Point
	// Windows are the daily times when the rule is active (see
	// ParseWindows), read in Location (nil: time.Local). Outside them the
	// rule neither fires nor accumulates dwell. Default none: always.
	Windows  []Window
	Location *time.Location
	// Cooldown: after the rule fired, it fires no other event (for any
	// track in its zone) until Cooldown has passed; tracks that qualify
	// meanwhile fire on their first sighting after it. Default 0.
	Cooldown time.Duration
}

// restState is what Stationary remembers about one track.
type restState struct {
	lastObs time.Time       // LastSeen of the last observation processed
	resting bool            // at rest inside the zone
	rest    image.Rectangle // box where it came to rest
	since   time.Time       // when it came to rest
	away    int             // observations in a row away from rest
	fired   bool
	ref     Look      // the object's look when it came to rest
	scores  scoreHist // scores of the observations at rest
	pics    int       // observations at rest
	minLook float64   // lowest look match at rest
	gaps    int       // returns after being unseen
	unseen  bool      // not seen in a picture since the last observation
	frames  int       // pictures analysed during the rest
}

// missedAt counts a picture in which the detector missed the resting
// object, by what the picture showed at its place: a place in plain view
// that still looks like it counts as seen, one that looks different as
// not seen, and a hidden place (or no picture) not at all.
func (st *restState) missedAt(s SpotState) {
	switch s {
	case SpotSame:
		st.pics++
		st.frames++
	case SpotChanged:
		st.frames++
	}
}

// restart begins a rest of t at its current box.
func (st *restState) restart(t *Track) {
	*st = restState{lastObs: st.lastObs, resting: true, rest: t.Box, since: t.LastSeen, ref: t.Look, minLook: 1}
}

// Stationary fires when a track of the configured classes stays at rest
// inside a zone for MinDwell (e.g. a vehicle parked in a no-parking zone).
// It is not safe for concurrent use.
type Stationary struct {
	cfg     StationaryConfig
	zone    Zone
	classes map[string]bool
	filter  ruleFilter
	state   map[uint64]*restState
	start   time.Time // the first picture's time
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
	if cfg.ConfirmScore == 0 {
		cfg.ConfirmScore = DefaultConfirmScore
	}
	if cfg.ConfirmScoreAtStart == 0 {
		cfg.ConfirmScoreAtStart = DefaultConfirmScoreAtStart
	}
	if cfg.LookMatch == 0 {
		cfg.LookMatch = DefaultLookMatch
	}
	if cfg.MinPresence == 0 {
		cfg.MinPresence = DefaultMinPresence
	}
	if cfg.ConfirmScore > 1 || math.IsNaN(float64(cfg.ConfirmScore)) || cfg.ConfirmScoreAtStart > 1 || math.IsNaN(float64(cfg.ConfirmScoreAtStart)) || cfg.LookMatch > 1 || math.IsNaN(cfg.LookMatch) || cfg.MinPresence > 1 || math.IsNaN(cfg.MinPresence) {
		return nil, fmt.Errorf("stationary rule %q: ConfirmScore %v, LookMatch %v and MinPresence %v must be at most 1", cfg.ID, cfg.ConfirmScore, cfg.LookMatch, cfg.MinPresence)
	}
	if !(cfg.MaxMovement > 0) || math.IsInf(cfg.MaxMovement, 0) {
		return nil, fmt.Errorf("stationary rule %q: MaxMovement %v must be positive", cfg.ID, cfg.MaxMovement)
	}
	f, err := newRuleFilter(cfg.ID, filterConfig{MinScore: cfg.MinScore, MinBoxSize: cfg.MinBoxSize,
		Masks: cfg.Masks, Windows: cfg.Windows, Location: cfg.Location, Cooldown: cfg.Cooldown})
	if err != nil {
		return nil, fmt.Errorf("stationary %w", err)
	}
	s := &Stationary{cfg: cfg, zone: zone, filter: f, state: map[uint64]*restState{}}
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
// at rest (within MaxMovement of its rest position, see restsAt) for
// MinDwell. Being seen further away twice in a row restarts the rest
// position and dwell (a single odd box is skipped); leaving the zone or
// changing to a label outside Classes forgets the rest.
//
// Only new observations count: a track not matched since the last Update
// (LastSeen unchanged) neither advances nor resets, and dwell is measured
// up to LastSeen. So dwell = LastSeen - rest start, including time the
// track was hidden (a parked car behind a bus) when it is seen again at its
// rest place, and the rule fires only on a frame where the track is seen.
// Observations filtered out (MinScore, MinBoxSize, Masks) neither advance
// nor reset; outside the schedule windows every rest is forgotten and
// nothing fires; during Cooldown nothing fires. State of tracks missing
// from tracks is dropped. Non-positive frame sizes yield no events.
func (s *Stationary) Update(tracks []*Track, frameW, frameH int, now time.Time) []Event {
	if frameW <= 0 || frameH <= 0 {
		return nil
	}
	active := s.filter.active(now)
	if s.start.IsZero() {
		s.start = now
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
			if st.resting && !st.fired && t.LastSeen.Before(now) {
				st.unseen = true
				st.missedAt(t.Spot)
			}
			continue
		}
		st.lastObs = t.LastSeen
		if !active || (s.classes != nil && !s.classes[t.Label]) {
			st.resting = false
			continue
		}
		if s.filter.ignored(t.Score, t.Box, frameW, frameH) {
			continue
		}
		if !s.zone.Contains(Anchor(t.Box, frameW, frameH)) {
			st.resting = false
			continue
		}
		look := 1.0
		if st.resting && s.cfg.LookMatch > 0 {
			look = st.ref.Match(t.Look)
		}
		if st.resting && (!restsAt(st.rest, t.Box, s.cfg.MaxMovement) || look < s.cfg.LookMatch) {
			if st.away++; st.away < awayToMove {
				continue
			}
			st.resting = false
		}
		st.away = 0
		if !st.resting {
			st.restart(t)
			look = 1
		}
		if t.Missed == 0 {
			if st.unseen {
				st.gaps++
			}
			st.unseen = false
			st.scores.add(t.Score)
			st.pics++
			st.frames++
			st.minLook = min(st.minLook, look)
		}
		dwell := t.LastSeen.Sub(st.since)
		if dwell < s.cfg.MinDwell || s.filter.coolingDown(now) {
			continue
		}
		med := st.scores.median()
		presence := float64(st.pics) / float64(max(st.frames, 1))
		atStart := !t.FirstSeen.After(s.start)
		bar := s.cfg.ConfirmScore
		if atStart {
			bar = s.cfg.ConfirmScoreAtStart
		}
		if (bar > 0 && med < bar) || (s.cfg.MinPresence > 0 && presence < s.cfg.MinPresence) {
			continue // not enough evidence yet that the object is there
		}
		st.fired = true
		s.filter.fired(now)
		events = append(events, Event{
			RuleID: s.cfg.ID, Code: s.cfg.Code, Name: s.cfg.Name, ZoneID: s.zone.ID, Kind: KindStationary,
			TrackID: t.ID, Label: t.Label, Score: t.Score, Box: t.Box,
			FirstSeen: st.since, ConfirmedAt: now, Dwell: dwell,
			Objects: []EventObject{eventObject(t, RoleSubject)},
			Why: Explanation{Dwell: dwell, Pictures: st.pics, Score: med,
				LookMatch: st.minLook, Gaps: st.gaps, Presence: presence, PresentAtStart: atStart},
		})
	}
	for id := range s.state {
		if !seen[id] {
			delete(s.state, id)
		}
	}
	return events
}
