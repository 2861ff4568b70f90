package backoff

import (
	"testing"
	"time"
)

func TestDelay(t *testing.T) {
	for _, tc := range []struct {
		n        int
		min, max time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{3, 2 * time.Second, 4 * time.Second},
		{10, 5 * time.Second, 10 * time.Second}, // capped
	} {
		seen := map[time.Duration]bool{}
		for i := 0; i < 200; i++ {
			d := Delay(time.Second, 10*time.Second, tc.n)
			if d < tc.min || d > tc.max {
				t.Fatalf("n=%d: %v outside [%v, %v]", tc.n, d, tc.min, tc.max)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("n=%d: only %d distinct delays: no jitter", tc.n, len(seen))
		}
	}
	if d := Delay(0, time.Second, 3); d != 0 {
		t.Errorf("zero base gave %v", d)
	}
}
