package config

import "time"

// Sampling by need: how often a camera's pictures go to detection when
// ingest.detect_interval is left at 0 (auto, the default).
const (
	// MinSampleInterval is the shortest automatic sampling interval.
	MinSampleInterval = time.Second
	// MaxSampleInterval is the longest automatic sampling interval: it
	// stays below the tracker's 5 s patience for a moving object, so a
	// vehicle that drives through a zone keeps one track, and it bounds the
	// alarm delay a sparse sampling adds.
	MaxSampleInterval = 4 * time.Second
	// SamplesPerDwell is how many pictures the shortest dwell of a camera's
	// rules gets at least: a rule that needs an object at rest for 60 s is
	// served by a picture every 2 s, one of 5 minutes by one every 4 s
	// (MaxSampleInterval).
	SamplesPerDwell = 30
)

// SampleInterval returns the time between two pictures of cam handed to
// detection. A forced interval wins: the camera's detect_interval, else
// ingest.detect_interval. Otherwise it follows from the camera's rules:
// the shortest dwell among them (min_dwell; for a gathering the shorter of
// min_dwell and min_dwell_no_stall) divided by SamplesPerDwell, within
// [MinSampleInterval, MaxSampleInterval]. A camera without rules (health
// only) gets MaxSampleInterval.
//
// The decoder then decodes only what the interval needs (ingest's
// sampler): key frames alone when the GOP is within the interval, every
// n-th key frame when several GOPs fit in it, else each GOP from its key
// frame up to its last sample point.
func (c *Config) SampleInterval(cam Camera) time.Duration {
	if cam.DetectInterval > 0 {
		return cam.DetectInterval
	}
	if c.Ingest.DetectInterval > 0 {
		return c.Ingest.DetectInterval
	}
	shortest := time.Duration(0)
	for _, z := range cam.Zones {
		for _, id := range z.Rules {
			r, ok := c.RuleByID(id)
			if !ok {
				continue
			}
			d := r.MinDwell
			if r.Kind == "gathering" && r.MinDwellNoStall > 0 && r.MinDwellNoStall < d {
				d = r.MinDwellNoStall
			}
			if shortest == 0 || d < shortest {
				shortest = d
			}
		}
	}
	if shortest == 0 {
		return MaxSampleInterval
	}
	return min(max(shortest/SamplesPerDwell, MinSampleInterval), MaxSampleInterval)
}
