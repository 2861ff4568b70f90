// Package cases defines the candidate case that patrol publishes on Kafka
// topic patrol.cases.v1: the contract integrators consume.
package cases

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// SchemaVersion is the version of the Case JSON layout.
const SchemaVersion = 1

// Event kinds of a case: one "opened" when the rule is confirmed, "updated"
// at an interval while the object stays, one "closed" when it has gone.
// A rule with a correction window (限时自行整改) first sends "warning" when
// its dwell is reached; the case is "opened" only if the object is still
// there when the window ends, else the warning is "withdrawn" (corrected)
// and nothing follows.
const (
	EventOpened    = "opened"
	EventUpdated   = "updated"
	EventClosed    = "closed"
	EventWarning   = "warning"
	EventWithdrawn = "withdrawn"
)

// Case is one candidate case for a dispatcher to verify.
type Case struct {
	SchemaVersion int    `json:"schema_version"`
	CaseID        string `json:"case_id"`
	// Event is "opened" (later: "updated", "closed").
	Event  string `json:"event"`
	Worker string `json:"worker"`
	Rule   Rule   `json:"rule"`
	Camera Camera `json:"camera"`
	ZoneID string `json:"zone_id"`
	// FirstSeen is when the object came to rest in the zone.
	FirstSeen time.Time `json:"first_seen"`
	// ConfirmedAt is when the rule fired (server receive time of the frame).
	ConfirmedAt time.Time `json:"confirmed_at"`
	// DwellS is ConfirmedAt - FirstSeen in seconds.
	DwellS   float64    `json:"dwell_s"`
	Objects  []Object   `json:"objects"`
	Evidence []Evidence `json:"evidence"`
	Model    Model      `json:"model"`
	// PublishedAt is when the case was handed to Kafka.
	PublishedAt time.Time `json:"published_at"`
	// EventTime is when this event happened: confirmed_at for "opened", the
	// update or close time otherwise.
	EventTime time.Time `json:"event_time,omitempty"`
	// LastSeen is when the object was last seen (updated, closed).
	LastSeen *time.Time `json:"last_seen,omitempty"`
	// Recovered is true on an "opened" case that the worker completed
	// after a restart: it was killed during the post-roll, so the clip
	// comes from the history on disk and may be shorter or missing.
	Recovered bool `json:"recovered,omitempty"`
	// Severity is the rule's severity level reached by the dwell at this
	// event (empty: no steps, or none reached).
	Severity string `json:"severity,omitempty"`
	// Explanation says why the rule fired, for the dispatcher who
	// verifies the case; every event carries the opening's explanation.
	Explanation *Explanation `json:"explanation"`
	// Plate is the subject vehicle's licence plate on cases of rules that
	// read plates (a vehicle at rest); nil on other cases. Its Text is set
	// only when the reads agree.
	Plate *Plate `json:"plate,omitempty"`
	// Warning is set on every event of a case whose rule has a correction
	// window: when the warning was sent and until when the object may be
	// removed; nil otherwise.
	Warning *Warning `json:"warning,omitempty"`
}

// Warning is the correction window given before a case opens.
type Warning struct {
	// At is when the rule's dwell was reached and the warning sent.
	At time.Time `json:"at"`
	// WindowS is the rule's correction window in seconds; Until is At
	// plus the window, when the case opens if the object is still there.
	WindowS float64   `json:"window_s"`
	Until   time.Time `json:"until"`
}

// Why a case's plate has no text (Plate.Reason).
const (
	PlateTooSmall   = "too small"
	PlateOccluded   = "occluded"
	PlateUnreadable = "unreadable"
)

// Plate is a vehicle's licence plate, voted over several full-resolution
// pictures of the dwell.
type Plate struct {
	// Text is the plate (passing the plate grammar), nil when the reads
	// do not agree or none read: a wrong plate costs a dispatcher more
	// than none.
	Text *string `json:"text"`
	// Reason says why Text is nil: PlateTooSmall, PlateOccluded or
	// PlateUnreadable (the commonest reason among the pictures); empty
	// when Text is set.
	Reason string `json:"reason,omitempty"`
	// Score is the lowest recogniser score among the agreeing reads (0
	// without text).
	Score float64 `json:"score"`
	// Reads is the number of pictures read; Agreeing how many of them
	// read Text (or the commonest text, when not published).
	Reads    int `json:"reads"`
	Agreeing int `json:"agreeing"`
	// Box is the plate in the last agreeing read, [x, y, w, h] normalized
	// to the frame (absent without text).
	Box *[4]float64 `json:"box,omitempty"`
}

// Score statistics of Explanation.ScoreStat.
const (
	// StatMedian is the median detector score over the dwell.
	StatMedian = "median"
	// StatMax is the best member score of a gathering at confirmation.
	StatMax = "max"
	// StatUnknown marks a case opened by a version without explanations
	// (an open case or a pending record from before an upgrade).
	StatUnknown = "unknown"
)

// Explanation is why a rule fired: how long, on how many pictures, with
// what score, and how sure the object stayed the same one.
type Explanation struct {
	// DwellS is the dwell at confirmation in seconds.
	DwellS float64 `json:"dwell_s"`
	// Pictures counts the analysed pictures that saw the object at rest
	// during the dwell (for a gathering: its members at rest).
	Pictures int `json:"pictures"`
	// ScoreStat names the statistic of Score: StatMedian, StatMax or
	// StatUnknown.
	ScoreStat string  `json:"score_stat"`
	Score     float64 `json:"score"`
	// LookMatch is the lowest appearance match (normalized correlation of
	// 8x8 colour thumbnails, -1..1) between the object when it came to
	// rest and in every picture since; 1 when not measured.
	LookMatch float64 `json:"look_match"`
	// Presence is the share of the pictures analysed during the dwell
	// that saw the object (1 for a gathering or when not measured).
	Presence float64 `json:"presence"`
	// Gaps counts the times the object was not seen (hidden, missed by the
	// detector) and then seen again at its place during the dwell.
	Gaps int `json:"gaps"`
	// PresentAtStart is true when the object was there in the first
	// picture the rule saw (worker start): the dwell is a lower bound.
	PresentAtStart bool `json:"present_at_start"`
	// Continued is true on a later event when another track (the object's
	// track broke up) continued the case.
	Continued bool `json:"continued"`
	// Count is the number of objects at rest in a count rule's group: when
	// the case opened, and on "updated" and "closed" as the group was then
	// (absent for other kinds).
	Count int `json:"count,omitempty"`
	// SecondLook is what the detector found at full resolution around the
	// object before the case opened (nil when the rule's second look is
	// off or the picture was not available).
	SecondLook *SecondLook `json:"second_look,omitempty"`
}

// SecondLook is the detector's best box of the rule's classes overlapping
// the object in a full-resolution crop around it.
type SecondLook struct {
	Label string  `json:"label"`
	Score float64 `json:"score"`
}

// Rule names the rule that fired and its city event code.
type Rule struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Code string `json:"code"`
	Name string `json:"name"`
	// Category and Subcategory are the code's 大类 and 小类, CategoryName
	// the 大类 name, from the deployment's event-code table.
	Category     string `json:"category,omitempty"`
	CategoryName string `json:"category_name,omitempty"`
	Subcategory  string `json:"subcategory,omitempty"`
}

// Camera identifies the camera and, when configured, its place.
type Camera struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Address, Grid (单元网格 code), Latitude and Longitude (WGS 84) are
	// the camera's place as configured (optional).
	Address   string   `json:"address,omitempty"`
	Grid      string   `json:"grid,omitempty"`
	Latitude  *float64 `json:"latitude,omitempty"`
	Longitude *float64 `json:"longitude,omitempty"`
}

// Object is a detected object behind the case.
type Object struct {
	TrackID uint64  `json:"track_id"`
	Label   string  `json:"label"`
	Score   float64 `json:"score"`
	// Box is [x, y, w, h] normalized to the frame (0..1).
	Box [4]float64 `json:"box"`
	// Role is "subject" (the object the case is about), "member" (a person
	// of a group) or "stall" (a stall object near a group).
	Role string `json:"role,omitempty"`
}

// Evidence is one stored evidence object.
type Evidence struct {
	// Kind is "clip", "snapshot" or "manifest".
	Kind string `json:"kind"`
	// Role is "confirmation", "arrival", "first_sight", "recheck" or
	// "redacted" (faces and other vehicles' plates blurred; the manifest has
	// none).
	Role string `json:"role,omitempty"`
	// Annotated is true for snapshots with boxes and zone drawn.
	Annotated   bool   `json:"annotated,omitempty"`
	Bucket      string `json:"bucket"`
	Key         string `json:"key"`
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
	// Start and End bound the object's content in time (clips, snapshots).
	Start *time.Time `json:"start,omitempty"`
	End   *time.Time `json:"end,omitempty"`
	// URL is a presigned GET address, when evidence.presign_expiry is set;
	// it expires, bucket and key stay authoritative.
	URL string `json:"url,omitempty"`
}

// Model identifies the detector that saw the object.
type Model struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// ID derives a deterministic case id from what identifies the case, so a
// republished case keeps its id.
func ID(cameraID, ruleID, zoneID string, trackID uint64, firstSeen time.Time) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%s|%d|%d", cameraID, ruleID, zoneID, trackID, firstSeen.UnixNano())))
	return fmt.Sprintf("%s-%s-%s", cameraID, firstSeen.UTC().Format("20060102T150405Z"), hex.EncodeToString(h[:5]))
}

// Validate checks the fields every consumer relies on.
func (c *Case) Validate() error {
	switch {
	case c.SchemaVersion != SchemaVersion:
		return fmt.Errorf("case: schema_version %d, want %d", c.SchemaVersion, SchemaVersion)
	case c.CaseID == "":
		return fmt.Errorf("case: case_id missing")
	case c.Rule.ID == "" || c.Rule.Code == "":
		return fmt.Errorf("case %s: rule id and code required", c.CaseID)
	case c.Camera.ID == "":
		return fmt.Errorf("case %s: camera id required", c.CaseID)
	case c.ConfirmedAt.IsZero() || c.FirstSeen.IsZero():
		return fmt.Errorf("case %s: first_seen and confirmed_at required", c.CaseID)
	case len(c.Objects) == 0:
		return fmt.Errorf("case %s: no objects", c.CaseID)
	case len(c.Evidence) == 0:
		return fmt.Errorf("case %s: no evidence", c.CaseID)
	case c.Explanation == nil:
		return fmt.Errorf("case %s: no explanation", c.CaseID)
	}
	for i, e := range c.Evidence {
		if e.Bucket == "" || e.Key == "" || len(e.SHA256) != 64 || e.Size <= 0 {
			return fmt.Errorf("case %s: evidence[%d] incomplete", c.CaseID, i)
		}
	}
	return nil
}

// Summary is a one-line human-readable description of the case.
func (c *Case) Summary() string {
	paths := ""
	for _, e := range c.Evidence {
		paths += " " + e.Kind + "=" + e.Bucket + "/" + e.Key
	}
	return fmt.Sprintf("case %s: camera=%s (%s) rule=%s %s %s zone=%s dwell=%.0fs%s",
		c.CaseID, c.Camera.ID, c.Camera.Name, c.Rule.ID, c.Rule.Code, c.Rule.Name, c.ZoneID, c.DwellS, paths)
}
