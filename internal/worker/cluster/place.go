package cluster

import (
	"hash/fnv"
	"maps"
	"math"
	"slices"
	"sort"
)

// MemberInfo is a live member of the fleet as the group describes it:
// what it said when it last joined.
type MemberInfo struct {
	// Worker is the member's name.
	Worker string `json:"worker"`
	// MaxCameras is its capacity (0: no limit).
	MaxCameras int `json:"max_cameras,omitempty"`
	// Running are the cameras it ran when it joined.
	Running []string `json:"running,omitempty"`
	// Labels are the placement labels it offers (cluster.labels).
	Labels map[string]string `json:"labels,omitempty"`
}

// offers reports whether m has every label of needs.
func (m *MemberInfo) offers(needs map[string]string) bool {
	for k, v := range needs {
		if m.Labels[k] != v {
			return false
		}
	}
	return true
}

// Placement is the fleet's cameras over its members: Place's result.
type Placement struct {
	// Owner maps a placed camera to its worker.
	Owner map[string]string
	// Unplaced are the cameras no member has room for (sorted).
	Unplaced []string
}

// Place shares cameras among members; every member computes it from the
// same group description and registry, so all agree without a leader.
// Each member takes at most its cap: its max_cameras, and no more than
// the fleet's level L, the least load such that the caps min(max, L)
// hold every camera (an even share when the members are alike). A member
// keeps the cameras it ran when it joined, up to its cap; the rest go,
// by id, to the member of highest rendezvous hash (camera, worker) with
// room. So a departure moves only the departed member's cameras (and
// what no longer fits), a join takes only what is over the others' new
// caps, and a camera stays where it runs when nothing forces it away.
// Members with the same name (a worker restarted before its old session
// expired) count once.
func Place(members []MemberInfo, cameras []string) Placement {
	return PlaceLabelled(members, cameras, nil)
}

// PlaceLabelled is Place where a camera with requirements (needs, by
// camera id: placement labels) goes only to a member offering all of
// them; one that no member offers them to is unplaced.
func PlaceLabelled(members []MemberInfo, cameras []string, needs map[string]map[string]string) Placement {
	out := Placement{Owner: map[string]string{}}
	byName := map[string]*MemberInfo{}
	var names []string
	for _, m := range members {
		if prev, ok := byName[m.Worker]; ok {
			prev.Running = append(prev.Running, m.Running...)
			prev.MaxCameras = maxCap(prev.MaxCameras, m.MaxCameras)
			continue
		}
		c := m
		c.Running = slices.Clone(m.Running)
		c.Labels = maps.Clone(m.Labels)
		byName[m.Worker] = &c
		names = append(names, m.Worker)
	}
	sort.Strings(names)
	cams := slices.Clone(cameras)
	sort.Strings(cams)
	cams = slices.Compact(cams)
	if len(names) == 0 {
		out.Unplaced = cams
		return out
	}
	level := fleetLevel(names, byName, len(cams))
	capOf := func(n string) int {
		if m := byName[n].MaxCameras; m > 0 && m < level {
			return m
		}
		return level
	}
	exists := map[string]bool{}
	for _, c := range cams {
		exists[c] = true
	}
	load := map[string]int{}
	for _, n := range names {
		run := slices.Clone(byName[n].Running)
		sort.Strings(run)
		for _, c := range run {
			if exists[c] && out.Owner[c] == "" && load[n] < capOf(n) && byName[n].offers(needs[c]) {
				out.Owner[c] = n
				load[n]++
			}
		}
	}
	for _, c := range cams {
		if out.Owner[c] != "" {
			continue
		}
		best, bestScore := "", uint64(0)
		for _, n := range names {
			if load[n] >= capOf(n) || !byName[n].offers(needs[c]) {
				continue
			}
			if s := score(c, n); best == "" || s > bestScore {
				best, bestScore = n, s
			}
		}
		if best == "" {
			out.Unplaced = append(out.Unplaced, c)
			continue
		}
		out.Owner[c] = best
		load[best]++
	}
	return out
}

// fleetLevel is the least L with sum over members of min(max, L) >= n
// (math.MaxInt when even the members' full capacity is less).
func fleetLevel(names []string, byName map[string]*MemberInfo, n int) int {
	room := func(l int) int {
		t := 0
		for _, name := range names {
			if m := byName[name].MaxCameras; m > 0 && m < l {
				t += m
			} else {
				t += l
			}
		}
		return t
	}
	if room(n) < n { // n is enough for any single member
		return math.MaxInt
	}
	lo, hi := 0, n
	for lo < hi {
		mid := (lo + hi) / 2
		if room(mid) >= n {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

func maxCap(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	return max(a, b)
}

// score is the rendezvous hash of camera on worker.
func score(camera, worker string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(camera))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(worker))
	// FNV's low bits mix poorly for similar keys: finish with a mixer.
	x := h.Sum64()
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb34fe5d4ec53
	x ^= x >> 33
	return x
}
