package detect

import (
	"image"
	"slices"
	"sort"
	"time"
)

// Tracker defaults, used when the corresponding TrackerConfig field is zero.
const (
	// DefaultTrackIoU is the minimum IoU for a detection to continue a track.
	DefaultTrackIoU = 0.3
	// DefaultMaxMissed is how long a track survives without a match.
	DefaultMaxMissed = 5 * time.Second
	// DefaultDuplicateIoU is the IoU above which two detections with
	// different but compatible labels are taken to be the same object.
	DefaultDuplicateIoU = 0.7
)

// DefaultCompatible is the default TrackerConfig.Compatible: the detector
// often flips between these labels for one vehicle.
var DefaultCompatible = [][]string{{"car", "truck", "bus"}}

// TrackerConfig configures a Tracker. Zero fields take the documented
// defaults.
type TrackerConfig struct {
	// IoUThreshold is the minimum IoU between a track's last box and a
	// detection for the detection to continue the track. Default 0.3.
	IoUThreshold float64
	// MaxMissed is how long a track survives without a matching detection;
	// it is dropped once now - LastSeen exceeds it. Default 5s.
	MaxMissed time.Duration
	// Compatible lists groups of labels that may continue each other's
	// tracks (a "car" track continues with a "truck" detection). nil means
	// DefaultCompatible ({car, truck, bus}); an empty non-nil slice means
	// labels must be equal.
	Compatible [][]string
	// DuplicateIoU: before matching, of two detections with compatible
	// labels overlapping by more than this IoU only the higher-scored one is
	// kept (the detector's NMS is per class, so a vehicle can come back as
	// both "car" and "truck"). Default 0.7.
	DuplicateIoU float64
}

// Track is one object followed across frames. Tracks returned by
// Tracker.Update are owned by the Tracker and must not be modified.
type Track struct {
	// ID is unique within the Tracker, starting at 1.
	ID uint64
	// Label is the label the track's detections had most often.
	Label string
	// Class is the detector class index of Label.
	Class int
	// Score is the score of the latest matched detection.
	Score float32
	// Box is the latest matched detection's box, in frame pixels.
	Box image.Rectangle
	// FirstSeen is when the track was created, LastSeen when it was last
	// matched to a detection.
	FirstSeen, LastSeen time.Time
	// Hits counts the detections matched to the track, including the first.
	Hits int
	// Missed counts consecutive Updates without a match (0 if the track
	// was matched in the latest Update).
	Missed int

	votes map[string]int // detections per label
}

// Tracker is a greedy IoU tracker. It is not safe for concurrent use.
type Tracker struct {
	cfg    TrackerConfig
	group  map[string]int // label -> compatibility group
	nextID uint64
	tracks []*Track
}

// NewTracker returns a Tracker with cfg's zero fields set to the defaults.
func NewTracker(cfg TrackerConfig) *Tracker {
	if cfg.IoUThreshold <= 0 {
		cfg.IoUThreshold = DefaultTrackIoU
	}
	if cfg.MaxMissed <= 0 {
		cfg.MaxMissed = DefaultMaxMissed
	}
	if cfg.Compatible == nil {
		cfg.Compatible = DefaultCompatible
	}
	if cfg.DuplicateIoU <= 0 {
		cfg.DuplicateIoU = DefaultDuplicateIoU
	}
	t := &Tracker{cfg: cfg, group: map[string]int{}, nextID: 1}
	for i, g := range cfg.Compatible {
		for _, l := range g {
			t.group[l] = i + 1
		}
	}
	return t
}

// compatible reports whether labels a and b may belong to one object.
func (t *Tracker) compatible(a, b string) bool {
	if a == b {
		return true
	}
	ga, gb := t.group[a], t.group[b]
	return ga != 0 && ga == gb
}

// dedupe drops detections overlapping a higher-scored detection with a
// compatible label by more than DuplicateIoU.
func (t *Tracker) dedupe(dets []Detection) []Detection {
	sorted := slices.Clone(dets)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Score > sorted[j].Score })
	var kept []Detection
	for _, d := range sorted {
		dup := false
		for _, k := range kept {
			if t.compatible(k.Label, d.Label) && IoU(k.Box, d.Box) > t.cfg.DuplicateIoU {
				dup = true
				break
			}
		}
		if !dup {
			kept = append(kept, d)
		}
	}
	return kept
}

// Update matches dets (one frame's detections, taken at now) to the live
// tracks and returns all live tracks sorted by ID, including tracks not
// matched in this frame that are still within MaxMissed (check Missed or
// LastSeen). Matching is greedy by descending IoU between tracks and
// detections with compatible labels; unmatched detections start new tracks
// and tracks unmatched for longer than MaxMissed are dropped.
func (t *Tracker) Update(dets []Detection, now time.Time) []*Track {
	dets = t.dedupe(dets)
	type pair struct {
		ti, di int
		iou    float64
	}
	var pairs []pair
	for ti, tr := range t.tracks {
		for di, d := range dets {
			if !t.compatible(tr.Label, d.Label) {
				continue
			}
			if iou := IoU(tr.Box, d.Box); iou >= t.cfg.IoUThreshold {
				pairs = append(pairs, pair{ti, di, iou})
			}
		}
	}
	sort.SliceStable(pairs, func(i, j int) bool { return pairs[i].iou > pairs[j].iou })
	trackUsed := make([]bool, len(t.tracks))
	detUsed := make([]bool, len(dets))
	for _, p := range pairs {
		if trackUsed[p.ti] || detUsed[p.di] {
			continue
		}
		trackUsed[p.ti], detUsed[p.di] = true, true
		t.tracks[p.ti].observe(dets[p.di], now)
	}

	live := t.tracks[:0]
	for i, tr := range t.tracks {
		if !trackUsed[i] {
			tr.Missed++
			if now.Sub(tr.LastSeen) > t.cfg.MaxMissed {
				continue
			}
		}
		live = append(live, tr)
	}
	clear(t.tracks[len(live):])
	t.tracks = live

	for di, d := range dets {
		if detUsed[di] {
			continue
		}
		tr := &Track{
			ID:        t.nextID,
			FirstSeen: now,
			votes:     map[string]int{},
		}
		t.nextID++
		tr.observe(d, now)
		t.tracks = append(t.tracks, tr)
	}
	return slices.Clone(t.tracks)
}

// observe applies a matched detection to the track.
func (tr *Track) observe(d Detection, now time.Time) {
	tr.Box = d.Box
	tr.Score = d.Score
	tr.LastSeen = now
	tr.Hits++
	tr.Missed = 0
	tr.votes[d.Label]++
	if tr.Label == "" || tr.votes[d.Label] > tr.votes[tr.Label] {
		tr.Label = d.Label
		tr.Class = d.Class
	}
}

// Tracks returns the live tracks sorted by ID, as of the last Update.
func (t *Tracker) Tracks() []*Track { return slices.Clone(t.tracks) }
