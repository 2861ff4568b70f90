package detect

import (
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
	"time"
)

// Gathering defaults, used when the corresponding GatheringConfig field is
// zero.
const (
	// DefaultMinPeople is the default GatheringConfig.MinPeople: one vendor
	// with a stall is enough.
	DefaultMinPeople = 1
	// DefaultGatheringMaxMovement is the default GatheringConfig.MaxMovement
	// (people shift about more than parked cars).
	DefaultGatheringMaxMovement = 0.5
	// DefaultStallDistance is the default GatheringConfig.StallDistance.
	DefaultStallDistance = 2.0
	// DefaultGroupDistance is the default GatheringConfig.GroupDistance.
	DefaultGroupDistance = 2.0
	// DefaultDisperseAfter is the default GatheringConfig.DisperseAfter.
	DefaultDisperseAfter = time.Minute
	// DefaultMaxHidden is the default GatheringConfig.MaxHidden.
	DefaultMaxHidden = 10 * time.Second
	// DefaultCarriedOverlap is the default GatheringConfig.CarriedOverlap.
	DefaultCarriedOverlap = 0.6
	// activeRest is how long a person must be at rest near a fired group
	// to keep it from dispersing (passers-by do not).
	activeRest = 10 * time.Second
)

// DefaultStallClasses are the default GatheringConfig.StallClasses.
// The vehicles (car, truck) make a van or tricycle at rest with people
// standing at it vending from a vehicle (车载贩卖): a 0501 case, which
// the pipeline lets win over the vehicle's own parking case.
var DefaultStallClasses = []string{"umbrella", "dining table", "chair", "bench", "suitcase", "handbag", "backpack", "car", "truck"}

// GatheringConfig configures a Gathering rule (street vending, 0501).
// Zero fields take the documented defaults.
type GatheringConfig struct {
	// ID identifies the rule in events (required); Code and Name are copied
	// into events, e.g. "0501", "无照经营游商".
	ID, Code, Name string
	// ZoneID is the zone the rule watches; empty means the ID of the zone
	// passed to NewGathering, otherwise it must equal it.
	ZoneID string
	// PersonClasses are the labels of group members. Default {"person"}.
	PersonClasses []string
	// StallClasses are the labels of stall objects. Default
	// DefaultStallClasses (umbrella, dining table, chair, bench, suitcase,
	// handbag, backpack, car, truck).
	StallClasses []string
	// MinPeople is the number of people (K >= 1) that must be at rest
	// together. Default 1.
	MinPeople int
	// MinDwell is how long MinPeople people must be at rest in the zone
	// with a stall object near them (required, > 0).
	MinDwell time.Duration
	// MinDwellNoStall is how long MinPeople people must be at rest in the
	// zone to fire without a stall object. Default 3*MinDwell; negative
	// never fires without a stall object.
	MinDwellNoStall time.Duration
	// MaxMovement is how far a person's anchor may drift from where they
	// came to rest, as a fraction of the box diagonal. Default 0.5.
	MaxMovement float64
	// StallDistance: a stall object belongs to a group when its box is
	// within StallDistance times a member's box height of that member's
	// box. Default 2.
	StallDistance float64
	// GroupDistance: two people at rest are in one group when their anchors
	// are within GroupDistance times the taller one's box height. Default 2.
	GroupDistance float64
	// DisperseAfter: once a group fired, no group overlapping its area
	// fires again until nobody has been at rest there for DisperseAfter.
	// Default 60s.
	DisperseAfter time.Duration
	// MaxHidden: people and stall objects unseen for longer than this do
	// not count. Default 10s.
	MaxHidden time.Duration
	// CarriedOverlap: a stall object lying by at least this fraction of its
	// area inside a person's box is carried (a backpack on a back) and does
	// not count. Default 0.6; above 1 disables the check.
	CarriedOverlap float64
	// MinScore, MinBoxSize, Masks, Windows, Location and Cooldown filter as
	// in StationaryConfig (MinBoxSize applies to people only). Defaults: no
	// filter, always active, no cooldown.
	MinScore   float32
	MinBoxSize float64
	Masks      [][]Point
	Windows    []Window
	Location   *time.Location
	Cooldown   time.Duration
}

// personState is what Gathering remembers about one person track.
type personState struct {
	lastObs time.Time
	resting bool
	ignored bool // the last observation was filtered out
	away    int  // observations in a row away from rest
	rest    image.Rectangle
	since   time.Time
}

// firedGroup is a group that fired, remembered until it disperses.
type firedGroup struct {
	area       image.Rectangle
	members    map[uint64]bool
	lastActive time.Time
}

// Gathering fires once per group when at least MinPeople people stay at rest
// together in a zone for MinDwell near stall objects, or for
// MinDwellNoStall without them (street vending). It is not safe for
// concurrent use.
type Gathering struct {
	cfg             GatheringConfig
	zone            Zone
	persons, stalls map[string]bool
	filter          ruleFilter
	state           map[uint64]*personState
	groups          []*firedGroup
	// count makes it a Count rule (NewCount): events of KindCount whose
	// members are every object at rest in the group.
	count bool
	// resting and nearStall are what the last Update saw: the members at
	// rest (Resting) and the stall objects near one of them (NearStall).
	resting   []*Track
	nearStall map[uint64]bool
}

// NewGathering validates cfg and zone and returns the rule.
func NewGathering(cfg GatheringConfig, zone Zone) (*Gathering, error) {
	if cfg.ID == "" {
		return nil, errors.New("gathering rule: empty ID")
	}
	fail := func(format string, a ...any) error {
		return fmt.Errorf("gathering rule %q: %s", cfg.ID, fmt.Sprintf(format, a...))
	}
	if err := zone.Validate(); err != nil {
		return nil, fail("%v", err)
	}
	if cfg.ZoneID == "" {
		cfg.ZoneID = zone.ID
	}
	if cfg.ZoneID != zone.ID {
		return nil, fail("ZoneID %q but zone %q given", cfg.ZoneID, zone.ID)
	}
	if cfg.MinDwell <= 0 {
		return nil, fail("MinDwell %v must be positive", cfg.MinDwell)
	}
	if cfg.MinPeople < 0 {
		return nil, fail("MinPeople %d must be at least 1", cfg.MinPeople)
	}
	for _, v := range []float64{cfg.MaxMovement, cfg.StallDistance, cfg.GroupDistance, cfg.CarriedOverlap} {
		if !(v >= 0) || math.IsInf(v, 0) {
			return nil, fail("distances must be finite and not negative")
		}
	}
	if cfg.DisperseAfter < 0 || cfg.MaxHidden < 0 {
		return nil, fail("DisperseAfter and MaxHidden must not be negative")
	}
	SetDefault(&cfg.MinPeople, DefaultMinPeople)
	if cfg.MinDwellNoStall == 0 {
		cfg.MinDwellNoStall = 3 * cfg.MinDwell
	}
	SetDefault(&cfg.MaxMovement, DefaultGatheringMaxMovement)
	SetDefault(&cfg.StallDistance, DefaultStallDistance)
	SetDefault(&cfg.GroupDistance, DefaultGroupDistance)
	SetDefault(&cfg.DisperseAfter, DefaultDisperseAfter)
	SetDefault(&cfg.MaxHidden, DefaultMaxHidden)
	SetDefault(&cfg.CarriedOverlap, DefaultCarriedOverlap)
	if len(cfg.PersonClasses) == 0 {
		cfg.PersonClasses = []string{"person"}
	}
	if len(cfg.StallClasses) == 0 {
		cfg.StallClasses = DefaultStallClasses
	}
	f, err := newRuleFilter(cfg.ID, filterConfig{MinScore: cfg.MinScore, MinBoxSize: cfg.MinBoxSize,
		Masks: cfg.Masks, Windows: cfg.Windows, Location: cfg.Location, Cooldown: cfg.Cooldown})
	if err != nil {
		return nil, fmt.Errorf("gathering %w", err)
	}
	g := &Gathering{cfg: cfg, zone: zone, filter: f, state: map[uint64]*personState{},
		persons: setOf(cfg.PersonClasses), stalls: setOf(cfg.StallClasses)}
	return g, nil
}

// setOf returns the set of the given labels.
func setOf(labels []string) map[string]bool {
	m := make(map[string]bool, len(labels))
	for _, l := range labels {
		m[l] = true
	}
	return m
}

// restingPerson is a person at rest in the zone with their dwell at now.
type restingPerson struct {
	t     *Track
	dwell time.Duration
}

// Update processes the live tracks (from Tracker.Update) of a frameW x
// frameH frame at now and returns the events that fired.
//
// A person is at rest while their anchor stays in the zone within
// MaxMovement of where they came to rest (hidden time counts, as in
// Stationary); people at rest and seen within MaxHidden are grouped
// (GroupDistance). A group fires when at least MinPeople members have each
// been at rest for MinDwell and a stall object (StallClasses, Still, seen
// within MaxHidden, not carried, not masked) is within StallDistance of a
// member, or for MinDwellNoStall without one, on a frame where a member is
// seen. A group fires once: until it disperses (DisperseAfter), groups
// overlapping its area or sharing a member do not fire. Filters apply as in
// Stationary. Non-positive frame sizes yield no events.
func (g *Gathering) Update(tracks []*Track, frameW, frameH int, now time.Time) []Event {
	if frameW <= 0 || frameH <= 0 {
		return nil
	}
	active := g.filter.active(now)
	var people []restingPerson
	var stalls, everyone []*Track
	seen := make(map[uint64]bool, len(tracks))
	for _, t := range tracks {
		recent := now.Sub(t.LastSeen) <= g.cfg.MaxHidden
		switch {
		case g.persons[t.Label]:
			seen[t.ID] = true
			if recent {
				everyone = append(everyone, t)
			}
			if st := g.observe(t, active, frameW, frameH); st.resting && !st.ignored && recent {
				people = append(people, restingPerson{t, t.LastSeen.Sub(st.since)})
			}
		case g.stalls[t.Label] && t.Still && recent && t.Score >= g.filter.minScore &&
			!g.filter.masked(Anchor(t.Box, frameW, frameH)):
			stalls = append(stalls, t)
		}
	}
	for id := range g.state {
		if !seen[id] {
			delete(g.state, id)
		}
	}
	if g.count {
		people = distinct(people)
	}
	g.remember(people, stalls, everyone)
	if !active {
		return nil
	}
	var events []Event
	for _, grp := range g.cluster(people) {
		if ev, ok := g.consider(grp, stalls, everyone, now); ok {
			events = append(events, ev)
		}
	}
	g.groups = slices.DeleteFunc(g.groups, func(f *firedGroup) bool {
		return now.Sub(f.lastActive) > g.cfg.DisperseAfter
	})
	return events
}

// observe updates and returns the rest state of person track t.
func (g *Gathering) observe(t *Track, active bool, w, h int) *personState {
	st := g.state[t.ID]
	if st == nil {
		st = &personState{}
		g.state[t.ID] = st
	}
	if !st.lastObs.IsZero() && !t.LastSeen.After(st.lastObs) {
		return st
	}
	st.lastObs = t.LastSeen
	st.ignored = active && g.filter.ignored(t.Score, t.Box, w, h)
	switch {
	case !active:
		st.resting = false
	case st.ignored:
	case !g.zone.Contains(Anchor(t.Box, w, h)):
		st.resting = false
	default:
		if st.resting && !restsAt(st.rest, t.Box, g.cfg.MaxMovement) {
			if st.away++; st.away < awayToMove {
				st.ignored = true
				return st
			}
			st.resting = false
		}
		st.away = 0
		if !st.resting {
			st.resting, st.rest, st.since = true, t.Box, t.LastSeen
		}
	}
	return st
}
