package detect

import (
	"cmp"
	"image"
	"slices"
	"sort"
	"time"
)

// cluster splits the people at rest into groups: two people are linked when
// their anchors are within GroupDistance times the taller one's box height
// (single linkage).
func (g *Gathering) cluster(people []restingPerson) [][]restingPerson {
	parent := make([]int, len(people))
	for i := range parent {
		parent[i] = i
	}
	root := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for i := range people {
		for j := i + 1; j < len(people); j++ {
			a, b := people[i].t.Box, people[j].t.Box
			if footDist(a, b) <= g.cfg.GroupDistance*float64(max(a.Dy(), b.Dy())) {
				parent[root(i)] = root(j)
			}
		}
	}
	byRoot := map[int][]restingPerson{}
	var order []int
	for i, p := range people {
		r := root(i)
		if byRoot[r] == nil {
			order = append(order, r)
		}
		byRoot[r] = append(byRoot[r], p)
	}
	out := make([][]restingPerson, 0, len(order))
	for _, r := range order {
		out = append(out, byRoot[r])
	}
	return out
}

// consider decides whether the group grp fires at now, given the stall
// objects and everyone (all people recently seen, to tell carried objects).
func (g *Gathering) consider(grp []restingPerson, stalls, everyone []*Track, now time.Time) (Event, bool) {
	var area image.Rectangle
	longest := time.Duration(0)
	for _, p := range grp {
		area = area.Union(p.t.Box)
		longest = max(longest, p.dwell)
	}
	for _, f := range g.groups {
		if f.area.Overlaps(area) || slices.ContainsFunc(grp, func(p restingPerson) bool { return f.members[p.t.ID] }) {
			// A count's group stays active while it is large enough:
			// fewer than MinCount for DisperseAfter, and it may fire again.
			if longest >= min(activeRest, g.cfg.MinDwell) && (!g.count || len(grp) >= g.cfg.MinPeople) {
				f.lastActive = now
			}
			return Event{}, false
		}
	}
	if len(grp) < g.cfg.MinPeople ||
		!slices.ContainsFunc(grp, func(p restingPerson) bool { return !p.t.LastSeen.Before(now) }) {
		return Event{}, false
	}
	sort.Slice(grp, func(i, j int) bool { return grp[i].dwell > grp[j].dwell })
	dwell := grp[g.cfg.MinPeople-1].dwell
	need := g.cfg.MinDwellNoStall
	near := g.nearStalls(grp[:g.cfg.MinPeople], stalls, everyone)
	if len(near) > 0 {
		need = g.cfg.MinDwell
	}
	if need < 0 || dwell < need || g.filter.coolingDown(now) {
		return Event{}, false
	}
	var members []*Track
	for _, p := range grp {
		if p.dwell >= need || g.count {
			members = append(members, p.t)
		}
	}
	near = g.nearStalls(grp[:len(members)], stalls, everyone)
	return g.fire(members, near, dwell, now), true
}

// nearStalls returns the stall objects within StallDistance of a member
// that nobody carries.
func (g *Gathering) nearStalls(members []restingPerson, stalls, everyone []*Track) []*Track {
	var out []*Track
	for _, s := range stalls {
		carried := slices.ContainsFunc(everyone, func(p *Track) bool {
			return insideFrac(s.Box, p.Box) >= g.cfg.CarriedOverlap
		})
		near := slices.ContainsFunc(members, func(m restingPerson) bool {
			return gap(s.Box, m.t.Box) <= g.cfg.StallDistance*float64(m.t.Box.Dy())
		})
		if near && !carried {
			out = append(out, s)
		}
	}
	return out
}

// fire builds the event for a group and remembers the group.
func (g *Gathering) fire(members, stalls []*Track, dwell time.Duration, now time.Time) Event {
	byID := func(a, b *Track) int { return cmp.Compare(a.ID, b.ID) }
	slices.SortFunc(members, byID)
	slices.SortFunc(stalls, byID)
	kind := KindGathering
	if g.count {
		kind = KindCount
	}
	ev := Event{
		RuleID: g.cfg.ID, Code: g.cfg.Code, Name: g.cfg.Name, ZoneID: g.zone.ID, Kind: kind,
		TrackID: members[0].ID, Label: members[0].Label,
		FirstSeen: now.Add(-dwell), ConfirmedAt: now, Dwell: dwell,
	}
	fg := &firedGroup{members: map[uint64]bool{}, lastActive: now}
	for _, m := range members {
		ev.Members = append(ev.Members, m.ID)
		ev.Objects = append(ev.Objects, eventObject(m, RoleMember))
		ev.Score = max(ev.Score, m.Score)
		ev.Box = ev.Box.Union(m.Box)
		fg.members[m.ID] = true
	}
	for _, s := range stalls {
		ev.Stalls = append(ev.Stalls, s.ID)
		ev.Objects = append(ev.Objects, eventObject(s, RoleStall))
		ev.Box = ev.Box.Union(s.Box)
	}
	fg.area = ev.Box
	ev.Why = Explanation{Dwell: dwell, Pictures: len(members), Score: ev.Score, LookMatch: 1, Presence: 1}
	if g.count {
		ev.Why.Count = len(members)
	}
	g.groups = append(g.groups, fg)
	g.filter.fired(now)
	return ev
}
