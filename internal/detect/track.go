package detect

import (
	"image"
	"time"
)

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
	// matched to a detection (or held by Tracker.Hold).
	FirstSeen, LastSeen time.Time
	// Hits counts the detections matched to the track, including the first.
	Hits int
	// Missed counts consecutive Updates without a match (0 if the track
	// was matched in the latest Update).
	Missed int
	// RestBox is the box where the track came to rest, RestSince when. Both
	// restart when the track's bottom centre is seen twice in a row further
	// than TrackerConfig.RestMovement times the box diagonal from RestBox's
	// (a box that looks like a part of RestBox, the object partly hidden,
	// does not count as movement).
	RestBox   image.Rectangle
	RestSince time.Time
	// Still reports whether the track had stayed at RestBox for at least
	// TrackerConfig.RestAfter when it was last seen. A lost Still track is
	// kept for MaxLost instead of MaxMissed and is picked up again by a
	// detection at the same place.
	Still bool
	// Look is the object's appearance in the latest picture it was matched
	// in (see Tracker.See); unknown until then.
	Look Look
	// Spot is what Tracker.See found at the place of this Still track when
	// the latest picture's detections missed it.
	Spot SpotState

	votes  map[string]int // detections per label
	vx, vy float64        // box centre velocity, pixels per second
	away   int            // observations in a row away from RestBox
	gone   int            // pictures in a row showing its rest place empty
}

// observe applies a matched detection to the track.
func (tr *Track) observe(d Detection, now time.Time, cfg *TrackerConfig) {
	tr.Hits++
	tr.Missed = 0
	tr.votes[d.Label]++
	if tr.Label == "" || tr.votes[d.Label] > tr.votes[tr.Label] {
		tr.Label = d.Label
		tr.Class = d.Class
	}
	tr.Score = d.Score
	tr.move(d.Box, now, cfg)
}

// move updates the box, velocity and rest state for a sighting at now.
func (tr *Track) move(box image.Rectangle, now time.Time, cfg *TrackerConfig) {
	if dt := now.Sub(tr.LastSeen).Seconds(); !tr.LastSeen.IsZero() && dt > 0 {
		ox, oy := centre(tr.Box)
		nx, ny := centre(box)
		ix, iy := (nx-ox)/dt, (ny-oy)/dt
		if tr.vx == 0 && tr.vy == 0 {
			tr.vx, tr.vy = ix, iy
		} else {
			tr.vx, tr.vy = (tr.vx+ix)/2, (tr.vy+iy)/2
		}
	}
	tr.Box = box
	tr.LastSeen = now
	switch {
	case tr.RestSince.IsZero():
		tr.RestBox, tr.RestSince = box, now
	case restsAt(tr.RestBox, box, cfg.RestMovement):
		tr.away = 0
	default:
		if tr.away++; tr.away >= awayToMove {
			tr.RestBox, tr.RestSince, tr.away = box, now, 0
		}
	}
	tr.Still = now.Sub(tr.RestSince) >= cfg.RestAfter
}

// predicted returns where the track's box is expected at now, moved along
// its velocity for at most MaxMissed. Still tracks are not moved.
func (tr *Track) predicted(now time.Time, maxMissed time.Duration) image.Rectangle {
	if tr.Still || tr.Hits < 2 {
		return tr.Box
	}
	dt := min(now.Sub(tr.LastSeen), maxMissed).Seconds()
	return tr.Box.Add(image.Pt(int(tr.vx*dt), int(tr.vy*dt)))
}

// sameSpot reports whether d may be the lost, Still track seen again at the
// place where it rested: its box overlaps the last or the rest box by at
// least cfg.ReacquireIoU, or its size is comparable (0.25x to 2x the rest
// box's area) and it rests at RestBox within cfg.ReacquireDistance.
func (tr *Track) sameSpot(d Detection, cfg *TrackerConfig) bool {
	if IoU(tr.Box, d.Box) >= cfg.ReacquireIoU || IoU(tr.RestBox, d.Box) >= cfg.ReacquireIoU {
		return true
	}
	ra := area(tr.RestBox)
	if ra == 0 {
		return false
	}
	r := area(d.Box) / ra
	return r >= 0.25 && r <= 2 && restsAt(tr.RestBox, d.Box, cfg.ReacquireDistance)
}

// centre returns the centre of r in pixels.
func centre(r image.Rectangle) (x, y float64) {
	return float64(r.Min.X+r.Max.X) / 2, float64(r.Min.Y+r.Max.Y) / 2
}
