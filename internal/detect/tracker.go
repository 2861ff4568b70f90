package detect

import (
	"slices"
	"sort"
	"time"
)

// Tracker defaults, used when the corresponding TrackerConfig field is zero.
const (
	// DefaultTrackIoU is the minimum IoU for a detection to continue a track.
	DefaultTrackIoU = 0.3
	// DefaultMaxMissed is how long a moving track survives without a match.
	DefaultMaxMissed = 5 * time.Second
	// DefaultMaxLost is how long a Still track survives without a match.
	DefaultMaxLost = 60 * time.Second
	// DefaultDuplicateIoU is the IoU above which two detections with
	// different but compatible labels are taken to be the same object.
	DefaultDuplicateIoU = 0.7
	// DefaultRestMovement is the default TrackerConfig.RestMovement.
	DefaultRestMovement = 0.25
	// DefaultRestAfter is the default TrackerConfig.RestAfter.
	DefaultRestAfter = 2 * time.Second
	// DefaultReacquireIoU is the default TrackerConfig.ReacquireIoU.
	DefaultReacquireIoU = 0.5
	// DefaultReacquireDistance is the default TrackerConfig.ReacquireDistance.
	DefaultReacquireDistance = 0.25
	// DefaultLookMatch is the default TrackerConfig.LookMatch.
	DefaultLookMatch = 0.5
)

// DefaultCompatible is the default TrackerConfig.Compatible: the detector
// often flips between these labels for one vehicle.
var DefaultCompatible = [][]string{{"car", "truck", "bus"}}

// TrackerConfig configures a Tracker. Zero fields take the documented
// defaults.
type TrackerConfig struct {
	// IoUThreshold is the minimum IoU between a track's last (or, for a
	// moving track, predicted) box and a detection for the detection to
	// continue the track. Default 0.3.
	IoUThreshold float64
	// MaxMissed is how long a track that is not Still survives without a
	// matching detection; it is dropped once now - LastSeen exceeds it.
	// Default 5s.
	MaxMissed time.Duration
	// MaxLost is how long a Still track (an object at rest: a parked car
	// hidden by a passing bus) survives without a matching detection.
	// Default 60s; values below MaxMissed mean MaxMissed.
	MaxLost time.Duration
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
	// RestMovement is how far, as a fraction of the box diagonal, a track's
	// bottom centre may move from RestBox's and still be at rest.
	// Default 0.25.
	RestMovement float64
	// RestAfter is how long a track must stay at rest to be Still.
	// Default 2s.
	RestAfter time.Duration
	// ReacquireIoU: a Still track unseen for longer than MaxMissed is picked
	// up again only by a detection of a compatible label overlapping its last
	// box or RestBox by at least this IoU, or resting at RestBox within
	// ReacquireDistance. Default 0.5.
	ReacquireIoU float64
	// ReacquireDistance is that distance as a fraction of the diagonal.
	// Default 0.25.
	ReacquireDistance float64
	// LookMatch is the Look.Match below which the picture at a lost Still
	// track's place, in plain view, no longer shows the object (see See).
	// Default 0.5.
	LookMatch float64
}

// withDefaults fills the zero fields of cfg.
func (cfg TrackerConfig) withDefaults() TrackerConfig {
	SetDefault(&cfg.IoUThreshold, DefaultTrackIoU)
	SetDefault(&cfg.MaxMissed, DefaultMaxMissed)
	SetDefault(&cfg.MaxLost, DefaultMaxLost)
	cfg.MaxLost = max(cfg.MaxLost, cfg.MaxMissed)
	if cfg.Compatible == nil {
		cfg.Compatible = DefaultCompatible
	}
	SetDefault(&cfg.DuplicateIoU, DefaultDuplicateIoU)
	SetDefault(&cfg.RestMovement, DefaultRestMovement)
	SetDefault(&cfg.RestAfter, DefaultRestAfter)
	SetDefault(&cfg.ReacquireIoU, DefaultReacquireIoU)
	SetDefault(&cfg.ReacquireDistance, DefaultReacquireDistance)
	SetDefault(&cfg.LookMatch, DefaultLookMatch)
	return cfg
}

// SetDefault sets *v to def if *v is not positive: the one way detect and
// its sub-packages apply the documented default of a zero setting.
func SetDefault[T float64 | time.Duration | int](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Tracker is a greedy IoU tracker that keeps objects at rest through
// occlusion and detector flicker. It is not safe for concurrent use.
type Tracker struct {
	cfg    TrackerConfig
	group  map[string]int // label -> compatibility group
	nextID uint64
	tracks []*Track
}

// NewTracker returns a Tracker with cfg's zero fields set to the defaults.
func NewTracker(cfg TrackerConfig) *Tracker {
	cfg = cfg.withDefaults()
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

// affinity returns how well detection d continues tr at now, and whether it
// may at all. A track seen within MaxMissed continues with an IoU of at
// least IoUThreshold against its last or predicted box; a Still track also
// with a detection at its rest place (sameSpot), which after MaxMissed is
// the only way.
func (t *Tracker) affinity(tr *Track, d Detection, now time.Time) (float64, bool) {
	if !t.compatible(tr.Label, d.Label) {
		return 0, false
	}
	iou := max(IoU(tr.Box, d.Box), IoU(tr.predicted(now, t.cfg.MaxMissed), d.Box))
	recent := now.Sub(tr.LastSeen) <= t.cfg.MaxMissed
	if recent && iou >= t.cfg.IoUThreshold {
		return iou, true
	}
	if tr.Still && tr.sameSpot(d, &t.cfg) {
		return max(iou, IoU(tr.RestBox, d.Box)), true
	}
	return 0, false
}

// Update matches dets (one frame's detections, taken at now) to the live
// tracks and returns all live tracks sorted by ID, including tracks not
// matched in this frame that are still kept (check Missed or LastSeen).
// Matching is greedy by descending affinity (IoU) between tracks and
// detections with compatible labels; unmatched detections start new tracks.
// Unmatched tracks are dropped once unseen for longer than MaxMissed, or
// MaxLost if they were Still.
func (t *Tracker) Update(dets []Detection, now time.Time) []*Track {
	dets = t.dedupe(dets)
	type pair struct {
		ti, di int
		aff    float64
	}
	var pairs []pair
	for ti, tr := range t.tracks {
		for di, d := range dets {
			if aff, ok := t.affinity(tr, d, now); ok {
				pairs = append(pairs, pair{ti, di, aff})
			}
		}
	}
	sort.SliceStable(pairs, func(i, j int) bool { return pairs[i].aff > pairs[j].aff })
	trackUsed := make([]bool, len(t.tracks))
	detUsed := make([]bool, len(dets))
	for _, p := range pairs {
		if trackUsed[p.ti] || detUsed[p.di] {
			continue
		}
		trackUsed[p.ti], detUsed[p.di] = true, true
		t.tracks[p.ti].observe(dets[p.di], now, &t.cfg)
	}
	for i, tr := range t.tracks {
		if !trackUsed[i] {
			tr.Missed++
		}
	}
	t.expire(now)
	for di, d := range dets {
		if detUsed[di] {
			continue
		}
		tr := &Track{ID: t.nextID, FirstSeen: now, votes: map[string]int{}}
		t.nextID++
		tr.observe(d, now, &t.cfg)
		t.tracks = append(t.tracks, tr)
	}
	return slices.Clone(t.tracks)
}

// Hold is Update for a frame that was not run through the detector because
// the picture did not change (see MotionGate): every track matched in the
// latest Update or Hold is taken to be seen again at now in the same place,
// so dwell keeps counting; other tracks age as in Update. It returns the
// live tracks sorted by ID.
func (t *Tracker) Hold(now time.Time) []*Track {
	for _, tr := range t.tracks {
		if tr.Missed == 0 && now.After(tr.LastSeen) {
			tr.move(tr.Box, now, &t.cfg)
			tr.vx, tr.vy = 0, 0
		}
	}
	t.expire(now)
	return slices.Clone(t.tracks)
}

// expire drops tracks unseen for longer than they are kept.
func (t *Tracker) expire(now time.Time) {
	live := t.tracks[:0]
	for _, tr := range t.tracks {
		keep := t.cfg.MaxMissed
		if tr.Still {
			keep = t.cfg.MaxLost
		}
		if now.Sub(tr.LastSeen) <= keep {
			live = append(live, tr)
		}
	}
	clear(t.tracks[len(live):])
	t.tracks = live
}

// Tracks returns the live tracks sorted by ID, as of the last Update.
func (t *Tracker) Tracks() []*Track { return slices.Clone(t.tracks) }
