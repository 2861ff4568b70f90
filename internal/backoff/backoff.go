// Package backoff computes retry delays: exponential growth with "equal
// jitter" (half the delay fixed, half random), so many cameras or cases
// failing at once do not retry in lockstep. Camera reconnects, evidence
// uploads, case publishing and health events all use it.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Delay returns the delay after the n-th failure in a row (n >= 1): base
// doubling per failure, capped at max, of which a random half is jitter, so
// the result lies in [d/2, d].
func Delay(base, max time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	if d <= 0 {
		return 0
	}
	return d/2 + time.Duration(rand.Int64N(int64(d)/2+1))
}
