package cluster

import (
	"encoding/json"
	"sort"
)

// memberData is what a worker tells the group when it joins (the
// JoinGroup user data): its name, its capacity, the partitions it holds
// (so that the leader can keep them where they are), the cameras it
// runs (so that Place keeps them where they are) and its labels.
type memberData struct {
	Worker     string   `json:"worker"`
	MaxCameras int      `json:"max_cameras,omitempty"`
	Owned      []int    `json:"owned,omitempty"`
	Running    []string `json:"running,omitempty"`
	// Labels are the placement labels the worker offers.
	Labels map[string]string `json:"labels,omitempty"`
}

type member struct {
	id   string
	data memberData
	load int   // cameras assigned so far
	got  []int // partitions assigned so far
}

func (m *member) room(w int) bool {
	return m.data.MaxCameras == 0 || m.load+w <= m.data.MaxCameras
}

// assign shares partitions among members by their cameras (weight: the
// cameras of a partition). It is sticky: a partition stays with the
// member that held it while that member is under its fair share (the
// cameras over the members, rounded up) and its max_cameras. The rest go,
// heaviest first, to the least loaded member with room. A partition that
// fits nowhere is left unassigned (the fleet is over capacity; its
// cameras wait for a worker with room). Partitions without cameras are
// spread as well, so that a camera added to one has an owner.
func assign(ids []string, userData map[string][]byte, partitions []int, weight func(int) int) (map[string][]int, []int) {
	if len(ids) == 0 {
		return nil, nil
	}
	members := make([]*member, 0, len(ids))
	byID := map[string]*member{}
	for _, id := range ids {
		m := &member{id: id}
		_ = json.Unmarshal(userData[id], &m.data) // bad data: a member without history or limit
		members = append(members, m)
		byID[id] = m
	}
	sort.Slice(members, func(i, j int) bool { return members[i].id < members[j].id })
	// Each partition's weight once: the caller's weight may count a
	// whole registry, and the sorts below compare often.
	weights := make(map[int]int, len(partitions))
	total := 0
	for _, p := range partitions {
		weights[p] = weight(p)
		total += weights[p]
	}
	fair := (total + len(members) - 1) / len(members)
	fairCount := (len(partitions) + len(members) - 1) / len(members)
	owner := map[int]*member{}
	for _, m := range members {
		for _, p := range m.data.Owned {
			if _, dup := owner[p]; !dup {
				owner[p] = m
			}
		}
	}
	taken := map[int]bool{}
	// Sticky pass, lightest partitions first so that a member keeps as
	// many of its cameras' partitions as fit; a member keeps empty
	// partitions up to its fair share of the partition count.
	sorted := append([]int(nil), partitions...)
	sort.Slice(sorted, func(i, j int) bool {
		wi, wj := weights[sorted[i]], weights[sorted[j]]
		if wi != wj {
			return wi < wj
		}
		return sorted[i] < sorted[j]
	})
	for _, p := range sorted {
		m := owner[p]
		w := weights[p]
		if m == nil || !m.room(w) || (w > 0 && m.load+w > fair) || (w == 0 && len(m.got) >= fairCount) {
			continue
		}
		m.load += w
		m.got = append(m.got, p)
		taken[p] = true
	}
	// The rest, heaviest first.
	var unassigned []int
	for i := len(sorted) - 1; i >= 0; i-- {
		p := sorted[i]
		if taken[p] {
			continue
		}
		w := weights[p]
		var best *member
		for _, m := range members {
			if !m.room(w) {
				continue
			}
			if best == nil {
				best = m
				continue
			}
			better := m.load < best.load || (m.load == best.load && len(m.got) < len(best.got))
			if w == 0 {
				better = len(m.got) < len(best.got) // empty partitions: spread by count
			}
			if better {
				best = m
			}
		}
		if best == nil {
			unassigned = append(unassigned, p)
			continue
		}
		best.load += w
		best.got = append(best.got, p)
	}
	out := map[string][]int{}
	for _, m := range members {
		sort.Ints(m.got)
		out[m.id] = m.got
	}
	sort.Ints(unassigned)
	return out, unassigned
}
