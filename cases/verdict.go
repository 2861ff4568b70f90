package cases

import (
	"fmt"
	"time"
)

// Topics of the console's messages.
const (
	// VerdictsTopicV1 carries a dispatcher's verdict on a case (key =
	// case id): for the city platform and for audit.
	VerdictsTopicV1 = "patrol.verdicts.v1"
	// SuppressionsTopicV1 is compacted: the suppressions in force (key =
	// suppression id; a tombstone removes one). Workers follow it.
	SuppressionsTopicV1 = "patrol.suppressions.v1"
	// CamerasTopicV1 is the fleet's camera registry (compacted, key =
	// camera id; worker/registry).
	CamerasTopicV1 = "patrol.cameras.v1"
	// CaseStateTopicV1 holds each camera's open cases (compacted, key =
	// camera id; detect/pipeline).
	CaseStateTopicV1 = "patrol.casestate.v1"
)

// Verdicts a dispatcher gives.
const (
	VerdictConfirmed = "confirmed"
	VerdictRejected  = "rejected"
)

// Reasons of a rejection.
const (
	ReasonFalseDetection = "false_detection"
	ReasonNotViolation   = "not_violation"
	ReasonDuplicate      = "duplicate"
	ReasonPermitted      = "permitted" // e.g. loading
	ReasonOther          = "other"     // with a note
)

// Reasons lists the rejection reasons in the order the console offers them.
var Reasons = []string{ReasonFalseDetection, ReasonNotViolation, ReasonDuplicate, ReasonPermitted, ReasonOther}

// Verdict is a message of patrol.verdicts.v1.
type Verdict struct {
	SchemaVersion int    `json:"schema_version"`
	CaseID        string `json:"case_id"`
	CameraID      string `json:"camera_id"`
	// Seq is the case event the dispatcher looked at.
	Seq int `json:"seq"`
	// Verdict is "confirmed" or "rejected".
	Verdict string `json:"verdict"`
	// Reason is set for a rejection (Reasons).
	Reason string `json:"reason,omitempty"`
	// Note is free text (required for reason "other").
	Note string `json:"note,omitempty"`
	// User is who gave the verdict; At when.
	User string    `json:"user"`
	At   time.Time `json:"at"`
	// SuppressionID names the suppression created with a rejection.
	SuppressionID string `json:"suppression_id,omitempty"`
}

// Suppression is a message of patrol.suppressions.v1: while it lasts, a
// worker publishes no new case of the camera (and zone) whose object
// overlaps Region.
type Suppression struct {
	SchemaVersion int    `json:"schema_version"`
	ID            string `json:"id"`
	CameraID      string `json:"camera_id"`
	// ZoneID limits it to one zone (empty: every zone of the camera).
	ZoneID string `json:"zone_id,omitempty"`
	// Region is [x, y, w, h], normalized to the picture.
	Region [4]float64 `json:"region"`
	// Classes limits it to these labels (empty: any).
	Classes []string `json:"classes,omitempty"`
	// Expires is when it stops.
	Expires time.Time `json:"expires"`
	// CaseID is the rejected case it came from; Reason its reason.
	CaseID string    `json:"case_id,omitempty"`
	Reason string    `json:"reason,omitempty"`
	User   string    `json:"user"`
	At     time.Time `json:"at"`
}

// ValidateVerdictJSON checks a verdict message against its schema.
func ValidateVerdictJSON(msg []byte) error { return validate(VerdictsTopicV1, msg) }

// ValidateCameraJSON checks a camera registry record against its schema.
func ValidateCameraJSON(msg []byte) error { return validate(CamerasTopicV1, msg) }

// ValidateCaseStateJSON checks a camera's open-case state against its schema.
func ValidateCaseStateJSON(msg []byte) error { return validate(CaseStateTopicV1, msg) }

// ValidateSuppressionJSON checks a suppression message against its schema.
func ValidateSuppressionJSON(msg []byte) error { return validate(SuppressionsTopicV1, msg) }

// Covers reports whether the suppression applies, at time at, to an
// object of label with box b ([x, y, w, h] normalized) in zone: the zone
// and class match and at least half of the object's box lies in the
// region.
func (s Suppression) Covers(zone, label string, b [4]float64, at time.Time) bool {
	if !at.Before(s.Expires) || (s.ZoneID != "" && s.ZoneID != zone) {
		return false
	}
	if len(s.Classes) > 0 {
		found := false
		for _, c := range s.Classes {
			found = found || c == label
		}
		if !found {
			return false
		}
	}
	ix := max(0, min(b[0]+b[2], s.Region[0]+s.Region[2])-max(b[0], s.Region[0]))
	iy := max(0, min(b[1]+b[3], s.Region[1]+s.Region[3])-max(b[1], s.Region[1]))
	area := b[2] * b[3]
	return area > 0 && ix*iy >= area/2
}

// SuppressionID derives a suppression's id from the case it came from.
func SuppressionID(caseID string, at time.Time) string {
	return fmt.Sprintf("%s-s%d", caseID, at.Unix())
}
