package cluster

import (
	"fmt"
	"testing"
)

func cams(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("cam-%04d", i)
	}
	return out
}

func workers(n, maxCams int) []MemberInfo {
	out := make([]MemberInfo, n)
	for i := range out {
		out[i] = MemberInfo{Worker: fmt.Sprintf("w%02d", i), MaxCameras: maxCams}
	}
	return out
}

// running fills each member's Running from a placement.
func running(ms []MemberInfo, pl Placement) []MemberInfo {
	out := make([]MemberInfo, 0, len(ms))
	for _, m := range ms {
		m.Running = nil
		for c, w := range pl.Owner {
			if w == m.Worker {
				m.Running = append(m.Running, c)
			}
		}
		out = append(out, m)
	}
	return out
}

func moved(a, b Placement) int {
	n := 0
	for c, w := range a.Owner {
		if b.Owner[c] != w {
			n++
		}
	}
	return n
}

// TestPlace: 2,000 cameras over 21 workers of 96 all placed, none over
// 96; a departure moves only the departed worker's cameras (the rest of
// the lost capacity is reported unplaced); the rejoin moves only the
// unplaced ones; with room to spare a join takes only what is over the
// new even share; without members every camera is unplaced.
func TestPlace(t *testing.T) {
	t.Parallel()
	all := cams(2000)
	ms := workers(21, 96)
	pl := Place(ms, all)
	load := map[string]int{}
	for _, w := range pl.Owner {
		load[w]++
	}
	if len(pl.Owner) != 2000 || len(pl.Unplaced) != 0 {
		t.Fatalf("placed %d, unplaced %d", len(pl.Owner), len(pl.Unplaced))
	}
	for w, n := range load {
		if n > 96 {
			t.Errorf("%s runs %d > 96", w, n)
		}
	}
	ms = running(ms, pl)
	lost := load["w00"]
	after := Place(ms[1:], all)
	if got := moved(pl, after) - lost; got != 0 {
		t.Errorf("departure of w00 (%d cameras) moved %d others", lost, got)
	}
	if len(after.Unplaced) != 2000-20*96 {
		t.Errorf("unplaced after the departure: %d, want %d", len(after.Unplaced), 2000-20*96)
	}
	back := append([]MemberInfo{{Worker: "w00", MaxCameras: 96}}, running(ms[1:], after)...)
	again := Place(back, all)
	if m := moved(after, again); m != 0 || len(again.Unplaced) != 0 {
		t.Errorf("rejoin moved %d placed cameras, left %d unplaced", m, len(again.Unplaced))
	}
	// Room to spare: 300 cameras over 5, then a sixth joins.
	few := cams(300)
	five := workers(5, 96)
	p5 := Place(five, few)
	six := append(running(five, p5), MemberInfo{Worker: "w05", MaxCameras: 96})
	p6 := Place(six, few)
	if m := moved(p5, p6); m != 50 {
		t.Errorf("a sixth worker took %d cameras, want 50 (300/6)", m)
	}
	if pl := Place(nil, few); len(pl.Unplaced) != 300 {
		t.Errorf("no members: %d unplaced", len(pl.Unplaced))
	}
}

// TestPlaceLabelled: a camera requiring labels goes only to a member
// offering all of them, also when it ran elsewhere; one no member offers
// them to is unplaced.
func TestPlaceLabelled(t *testing.T) {
	t.Parallel()
	ms := []MemberInfo{
		{Worker: "gx", Labels: map[string]string{"district": "高新区", "gpu": "true"}, Running: []string{"plain"}},
		{Worker: "xs", Labels: map[string]string{"district": "萧山"}, Running: []string{"gpu-gx"}},
	}
	needs := map[string]map[string]string{
		"gpu-gx": {"district": "高新区", "gpu": "true"},
		"xs":     {"district": "萧山"},
		"gpu-xs": {"district": "萧山", "gpu": "true"},
	}
	pl := PlaceLabelled(ms, []string{"gpu-gx", "xs", "gpu-xs", "plain"}, needs)
	for cam, want := range map[string]string{"gpu-gx": "gx", "xs": "xs", "plain": "gx", "gpu-xs": ""} {
		if got := pl.Owner[cam]; got != want {
			t.Errorf("%s on %q, want %q", cam, got, want)
		}
	}
	if len(pl.Unplaced) != 1 || pl.Unplaced[0] != "gpu-xs" {
		t.Errorf("unplaced %v, want [gpu-xs]", pl.Unplaced)
	}
}
