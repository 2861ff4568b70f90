package detect

import (
	"cmp"
	"slices"
	"time"
)

// remember keeps what an Update saw for Resting and NearStall: the
// members at rest in the zone, and the stall objects near one of them
// that has settled.
func (g *Gathering) remember(people []restingPerson, stalls, everyone []*Track) {
	g.resting = g.resting[:0]
	for _, p := range people {
		if p.dwell >= g.settle() {
			g.resting = append(g.resting, p.t)
		}
	}
	slices.SortFunc(g.resting, func(a, b *Track) int { return cmp.Compare(a.ID, b.ID) })
	clear(g.nearStall)
	if g.nearStall == nil {
		g.nearStall = map[uint64]bool{}
	}
	var settled []restingPerson
	for _, p := range people {
		if p.dwell >= g.settle() {
			settled = append(settled, p)
		}
	}
	for _, s := range g.nearStalls(settled, stalls, everyone) {
		g.nearStall[s.ID] = true
	}
}

// settle is how long a member must have been at rest to count in Resting
// and NearStall (half of min(10s, MinDwell)): one passing by is at rest
// for its first picture or two.
func (g *Gathering) settle() time.Duration { return min(activeRest, g.cfg.MinDwell) / 2 }

// Resting returns the objects at rest in the zone at the last Update (seen
// within MaxHidden, at rest for settle at least), by track ID, as event
// members.
// For a Count rule, whose zone is one group, that is the group as it is
// now: the pipeline follows a count case's box and count with it.
func (g *Gathering) Resting() []EventObject {
	out := make([]EventObject, 0, len(g.resting))
	for _, t := range g.resting {
		out = append(out, eventObject(t, RoleMember))
	}
	return out
}

// MinMembers is how many members at rest make the rule fire (MinPeople,
// or a Count rule's MinCount).
func (g *Gathering) MinMembers() int { return g.cfg.MinPeople }

// NearStall reports whether track id was, at the last Update, a stall
// object (StallClasses, at rest, not carried, not masked) within
// StallDistance of someone at rest in the zone for settle at least
// (passers-by are not): a vehicle that may become the stall of a vending
// case.
func (g *Gathering) NearStall(id uint64) bool { return g.nearStall[id] }

// WaitFor is the longest a group at rest needs to fire with a stall
// object (MinDwell).
func (g *Gathering) WaitFor() time.Duration { return g.cfg.MinDwell }
