package cluster

import (
	"encoding/json"
	"testing"
)

func TestAssign(t *testing.T) {
	// 12 partitions, one camera each except 10 and 11 (none).
	weight := func(p int) int {
		if p >= 10 {
			return 0
		}
		return 1
	}
	parts := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	data := func(worker string, max int, owned ...int) []byte {
		b, _ := json.Marshal(memberData{Worker: worker, MaxCameras: max, Owned: owned})
		return b
	}
	for _, tc := range []struct {
		name       string
		ids        []string
		data       map[string][]byte
		wantLoad   map[string]int // cameras per member
		keep       map[string][]int
		unassigned int
	}{
		{name: "three fresh workers share evenly", ids: []string{"a", "b", "c"},
			wantLoad: map[string]int{"a": 4, "b": 3, "c": 3}},
		{name: "a worker leaves: only its partitions move", ids: []string{"a", "b"},
			data:     map[string][]byte{"a": data("a", 0, 0, 1, 2, 10), "b": data("b", 0, 3, 4, 5, 11)},
			wantLoad: map[string]int{"a": 5, "b": 5}, keep: map[string][]int{"a": {0, 1, 2}, "b": {3, 4, 5}}},
		{name: "a new worker takes a fair share, the others keep the rest", ids: []string{"a", "b", "c"},
			data:     map[string][]byte{"a": data("a", 0, 0, 1, 2, 3, 4, 10), "b": data("b", 0, 5, 6, 7, 8, 9, 11)},
			wantLoad: map[string]int{"a": 4, "b": 4, "c": 2}, keep: map[string][]int{"a": {0, 1, 2}, "b": {5, 6, 7}}},
		{name: "max_cameras is respected", ids: []string{"a", "b"},
			data:     map[string][]byte{"a": data("a", 2), "b": data("b", 0)},
			wantLoad: map[string]int{"a": 2, "b": 8}},
		{name: "over capacity: the rest waits", ids: []string{"a", "b"},
			data:     map[string][]byte{"a": data("a", 3), "b": data("b", 4)},
			wantLoad: map[string]int{"a": 3, "b": 4}, unassigned: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, un := assign(tc.ids, tc.data, parts, weight)
			seen := map[int]bool{}
			for id, ps := range got {
				load := 0
				for _, p := range ps {
					if seen[p] {
						t.Fatalf("partition %d given twice", p)
					}
					seen[p] = true
					load += weight(p)
				}
				if load != tc.wantLoad[id] {
					t.Errorf("%s: %d cameras (%v), want %d", id, load, ps, tc.wantLoad[id])
				}
				for _, k := range tc.keep[id] {
					if !contains(ps, k) {
						t.Errorf("%s lost partition %d it held (%v)", id, k, ps)
					}
				}
			}
			if len(un) != tc.unassigned {
				t.Errorf("unassigned %v, want %d", un, tc.unassigned)
			}
			if len(seen)+len(un) != len(parts) {
				t.Errorf("%d assigned + %d unassigned of %d", len(seen), len(un), len(parts))
			}
		})
	}
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
