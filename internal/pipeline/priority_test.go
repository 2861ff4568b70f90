package pipeline

import (
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/media"
)

// TestPoolPriority: with pictures waiting on every camera, the pool serves
// a camera whose picture waited max_infer_interval first, then urgent
// cameras (open case or object in a zone), then the rest round-robin.
func TestPoolPriority(t *testing.T) {
	p := newPool([]time.Duration{time.Second, time.Second, time.Second, time.Second}, 5*time.Second, nil)
	now := time.Now()
	offerAll := func() {
		for cam := range p.slots {
			p.offer(cam, media.Frame{Recv: now})
		}
		now = now.Add(2 * time.Second)
	}
	order := func() []int {
		var got []int
		for range p.slots {
			cam, _, _ := p.take()
			p.done(cam)
			got = append(got, cam)
		}
		return got
	}
	tests := []struct {
		name    string
		urgent  []int
		starved int // camera whose picture has waited too long (-1: none)
		first   []int
	}{
		{"round-robin", nil, -1, []int{0, 1, 2, 3}},
		{"urgent first", []int{2, 3}, -1, []int{2, 3}},
		{"starved before urgent", []int{2, 3}, 1, []int{1, 2, 3}},
	}
	for _, tc := range tests {
		for cam := range p.slots {
			p.setUrgent(cam, false)
		}
		for _, cam := range tc.urgent {
			p.setUrgent(cam, true)
		}
		p.next = 0
		offerAll()
		if tc.starved >= 0 {
			p.slots[tc.starved].waitingSince = time.Now().Add(-6 * time.Second)
		}
		got := order()
		for i, want := range tc.first {
			if got[i] != want {
				t.Errorf("%s: order %v, want it to start with %v", tc.name, got, tc.first)
				break
			}
		}
	}
}
