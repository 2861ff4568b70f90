package detect

import (
	"fmt"
	"image"
	"math"
	"time"
)

// ruleFilter holds the per-rule filters shared by Stationary and Gathering:
// minimum score and box size, masks, schedule windows and cooldown.
type ruleFilter struct {
	minScore   float32
	minBoxSize float64
	masks      []Zone
	sched      Schedule
	cooldown   time.Duration
	lastFired  time.Time
}

// filterConfig is the part of a rule's config that ruleFilter implements.
type filterConfig struct {
	MinScore   float32
	MinBoxSize float64
	Masks      [][]Point
	Windows    []Window
	Location   *time.Location
	Cooldown   time.Duration
}

// newRuleFilter validates fc for the rule named rule.
func newRuleFilter(rule string, fc filterConfig) (ruleFilter, error) {
	f := ruleFilter{minScore: fc.MinScore, minBoxSize: fc.MinBoxSize,
		sched: Schedule{Windows: fc.Windows, Location: fc.Location}, cooldown: fc.Cooldown}
	switch {
	case math.IsNaN(float64(fc.MinScore)) || fc.MinScore < 0 || fc.MinScore > 1:
		return f, fmt.Errorf("rule %q: MinScore %v not in [0,1]", rule, fc.MinScore)
	case !(fc.MinBoxSize >= 0 && fc.MinBoxSize <= 1):
		return f, fmt.Errorf("rule %q: MinBoxSize %v not in [0,1]", rule, fc.MinBoxSize)
	case fc.Cooldown < 0:
		return f, fmt.Errorf("rule %q: negative Cooldown %v", rule, fc.Cooldown)
	}
	for _, w := range fc.Windows {
		if err := w.Validate(); err != nil {
			return f, fmt.Errorf("rule %q: %w", rule, err)
		}
	}
	for i, m := range fc.Masks {
		z := Zone{ID: fmt.Sprintf("masks[%d]", i), Polygon: m}
		if err := z.Validate(); err != nil {
			return f, fmt.Errorf("rule %q: %w", rule, err)
		}
		f.masks = append(f.masks, z)
	}
	return f, nil
}

// masked reports whether the normalized point p lies in one of the masks.
func (f *ruleFilter) masked(p Point) bool {
	for _, m := range f.masks {
		if m.Contains(p) {
			return true
		}
	}
	return false
}

// ignored reports whether an observation (score, box in a w x h frame) is
// to be ignored: scored below MinScore, with a larger box side below
// MinBoxSize times the frame height, or with its anchor in a mask.
func (f *ruleFilter) ignored(score float32, box image.Rectangle, w, h int) bool {
	if score < f.minScore {
		return true
	}
	if float64(max(box.Dx(), box.Dy())) < f.minBoxSize*float64(h) {
		return true
	}
	return f.masked(Anchor(box, w, h))
}

// active reports whether now is inside the rule's schedule.
func (f *ruleFilter) active(now time.Time) bool { return f.sched.Active(now) }

// coolingDown reports whether the rule fired less than Cooldown before now.
func (f *ruleFilter) coolingDown(now time.Time) bool {
	return !f.lastFired.IsZero() && now.Sub(f.lastFired) < f.cooldown
}

// fired records that the rule fired at now.
func (f *ruleFilter) fired(now time.Time) { f.lastFired = now }
