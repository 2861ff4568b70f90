package detect

import (
	"errors"
	"sort"
	"time"
)

// Count defaults.
const (
	// DefaultMinCount is the default CountConfig.MinCount.
	DefaultMinCount = 3
	// DefaultCountMaxMovement is the default CountConfig.MaxMovement:
	// parked bicycles barely move.
	DefaultCountMaxMovement = 0.3
	// countGroupDistance puts every object at rest in the zone into one
	// group (in box heights: far beyond any picture).
	countGroupDistance = 1e6
)

// DefaultCountClasses are the default CountConfig.Classes: the
// non-motorised vehicles of 0506 (COCO's motorcycle also covers e-bikes).
var DefaultCountClasses = []string{"bicycle", "motorcycle"}

// CountConfig configures a Count rule: at least MinCount objects of
// Classes at rest in a zone for MinDwell (0506 非机动车乱停放 with bicycles
// and motorcycles over a pavement or blind path; a crowd with person).
// Zero fields take the documented defaults.
type CountConfig struct {
	// ID identifies the rule in events (required); Code and Name are copied
	// into events, e.g. "0506", "非机动车乱停放".
	ID, Code, Name string
	// ZoneID as in GatheringConfig.
	ZoneID string
	// Classes are the labels counted. Default DefaultCountClasses.
	Classes []string
	// MinCount is how many objects must each be at rest for MinDwell.
	// Default DefaultMinCount.
	MinCount int
	// MinDwell is how long they must be at rest (required, > 0).
	MinDwell time.Duration
	// MaxMovement is how far an object's anchor may drift from where it
	// came to rest, as a fraction of the box diagonal. Default 0.3.
	MaxMovement float64
	// DisperseAfter: once the group fired, it fires again only after fewer
	// than MinCount objects have been at rest in its area for
	// DisperseAfter. Default 60s.
	DisperseAfter time.Duration
	// MinScore, MinBoxSize, Masks, Windows, Location and Cooldown filter as
	// in StationaryConfig.
	MinScore   float32
	MinBoxSize float64
	Masks      [][]Point
	Windows    []Window
	Location   *time.Location
	Cooldown   time.Duration
}

// NewCount validates cfg and returns the rule: a Gathering whose members
// are the counted objects, with no stall objects and the whole zone as
// one group. It fires once per group, when MinCount objects have been at
// rest for MinDwell; the event's members are every object at rest in the
// group then (Explanation.Count), its box their union.
func NewCount(cfg CountConfig, zone Zone) (*Gathering, error) {
	if cfg.ID == "" {
		return nil, errors.New("count rule: empty ID")
	}
	if cfg.MinCount < 0 {
		return nil, errors.New("count rule " + cfg.ID + ": MinCount must be at least 1")
	}
	SetDefault(&cfg.MinCount, DefaultMinCount)
	SetDefault(&cfg.MaxMovement, DefaultCountMaxMovement)
	classes := cfg.Classes
	if len(classes) == 0 {
		classes = DefaultCountClasses
	}
	g, err := NewGathering(GatheringConfig{
		ID: cfg.ID, Code: cfg.Code, Name: cfg.Name, ZoneID: cfg.ZoneID,
		PersonClasses: classes, StallClasses: []string{noStall}, MinPeople: cfg.MinCount,
		MinDwell: cfg.MinDwell, MinDwellNoStall: cfg.MinDwell, MaxMovement: cfg.MaxMovement,
		GroupDistance: countGroupDistance, DisperseAfter: cfg.DisperseAfter,
		MinScore: cfg.MinScore, MinBoxSize: cfg.MinBoxSize, Masks: cfg.Masks,
		Windows: cfg.Windows, Location: cfg.Location, Cooldown: cfg.Cooldown,
	}, zone)
	if err != nil {
		return nil, err
	}
	g.count = true
	return g, nil
}

// noStall is a stall label no detector gives: a count has no stalls.
const noStall = "\x00none"

// sameObjectIoU: two objects at rest whose boxes overlap by this much are
// one object seen under two of the rule's labels (a motorbike scored both
// motorcycle and bicycle: the detector's suppression is per class).
const sameObjectIoU = 0.6

// distinct drops the objects at rest that are another one of the list
// seen under a second label, keeping the one at rest longer (then the
// better scored), so that a count counts objects, not labels.
func distinct(people []restingPerson) []restingPerson {
	sort.SliceStable(people, func(i, j int) bool {
		if people[i].dwell != people[j].dwell {
			return people[i].dwell > people[j].dwell
		}
		return people[i].t.Score > people[j].t.Score
	})
	out := people[:0]
	for _, p := range people {
		dup := false
		for _, q := range out {
			if IoU(p.t.Box, q.t.Box) >= sameObjectIoU {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, p)
		}
	}
	return out
}
