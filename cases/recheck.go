package cases

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// RechecksTopicV1 carries re-check requests (核查) and their answers (key =
// camera id): the city platform or the console asks whether a case's
// subject is still there, and the worker that runs the camera answers.
const RechecksTopicV1 = "patrol.rechecks.v1"

// Types of a re-check message.
const (
	RecheckRequest = "request"
	RecheckAnswer  = "answer"
)

// Statuses of a re-check answer.
const (
	// RecheckPresent: the subject is seen again on a fresh picture.
	RecheckPresent = "present"
	// RecheckGone: a fresh picture was looked at and the subject is not
	// on it.
	RecheckGone = "gone"
	// RecheckUnknown: no decision; Reason says why.
	RecheckUnknown = "unknown"
)

// Reasons of an "unknown" answer (Reason may add details after a colon).
const (
	RecheckNoCamera    = "camera not known"
	RecheckNoCase      = "case not known"
	RecheckOffline     = "camera offline"
	RecheckNoPicture   = "no fresh picture"
	RecheckBlocked     = "view blocked"
	RecheckLookFailed  = "look failed"
	RecheckNotAnswered = "not answered in time"
)

// RecheckSubject is what to look for: a label and its box ([x, y, w, h]
// normalized to the camera's picture).
type RecheckSubject struct {
	Label string     `json:"label"`
	Box   [4]float64 `json:"box"`
}

// Recheck is a message of patrol.rechecks.v1: a request (Type "request")
// or its answer (Type "answer", same RequestID).
type Recheck struct {
	SchemaVersion int    `json:"schema_version"`
	Type          string `json:"type"`
	// RequestID identifies the request; repeats of it get the same
	// answer (idempotent).
	RequestID string `json:"request_id"`
	CaseID    string `json:"case_id"`
	CameraID  string `json:"camera_id"`
	// RequestedAt is when the request was made (requests only).
	RequestedAt *time.Time `json:"requested_at,omitempty"`
	// Subject is optional in a request: used when the worker does not
	// know the case (it closed, or another fleet ran it). An answer
	// carries the subject it looked for.
	Subject *RecheckSubject `json:"subject,omitempty"`
	// User is who asked (optional: the console's dispatcher).
	User string `json:"user,omitempty"`

	// Worker answered; Status is present, gone or unknown; Reason why
	// (unknown, or gone for a closed case); Picture is the fresh picture
	// (evidence role "recheck"; absent when none was taken); Score the
	// subject's detection score when present; AnsweredAt when.
	Worker     string     `json:"worker,omitempty"`
	Status     string     `json:"status,omitempty"`
	Reason     string     `json:"reason,omitempty"`
	Picture    *Evidence  `json:"picture,omitempty"`
	Score      float64    `json:"score,omitempty"`
	PictureAt  *time.Time `json:"picture_at,omitempty"`
	AnsweredAt *time.Time `json:"answered_at,omitempty"`
}

// recheckIDRE is the form of request and case ids: an id as
// config.IDPattern, up to 200 characters (a case id is the camera id with
// a time and a hash).
var recheckIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$`)

// cameraIDRE is config.IDPattern (cases does not import config).
var cameraIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ErrBadRecheck is wrapped by ParseRecheck's errors.
var ErrBadRecheck = errors.New("recheck: invalid message")

// ParseRecheck decodes and checks one message of patrol.rechecks.v1: its
// ids (letters, digits, '.', '_', '-'), its type and the fields its type
// requires. key, when not empty, must be its camera id.
func ParseRecheck(key string, raw []byte) (Recheck, error) {
	var r Recheck
	if err := json.Unmarshal(raw, &r); err != nil {
		return r, fmt.Errorf("%w: %w", ErrBadRecheck, err)
	}
	if err := r.Validate(); err != nil {
		return r, err
	}
	if key != "" && key != r.CameraID {
		return r, fmt.Errorf("%w: key %q is not camera_id %q", ErrBadRecheck, key, r.CameraID)
	}
	return r, nil
}

// Validate checks the fields consumers rely on.
func (r *Recheck) Validate() error {
	bad := func(f string, a ...any) error { return fmt.Errorf("%w: "+f, append([]any{ErrBadRecheck}, a...)...) }
	switch {
	case r.SchemaVersion != SchemaVersion:
		return bad("schema_version %d, want %d", r.SchemaVersion, SchemaVersion)
	case !recheckIDRE.MatchString(r.RequestID):
		return bad("request_id %q", r.RequestID)
	case !recheckIDRE.MatchString(r.CaseID):
		return bad("case_id %q", r.CaseID)
	case !cameraIDRE.MatchString(r.CameraID):
		return bad("camera_id %q", r.CameraID)
	}
	if s := r.Subject; s != nil {
		if s.Label == "" || len(s.Label) > 64 {
			return bad("subject label %q", s.Label)
		}
		for _, v := range s.Box {
			if !(v >= 0 && v <= 1) {
				return bad("subject box %v not normalized", s.Box)
			}
		}
		if s.Box[2] <= 0 || s.Box[3] <= 0 {
			return bad("subject box %v is empty", s.Box)
		}
	}
	switch r.Type {
	case RecheckRequest:
		if r.RequestedAt == nil || r.RequestedAt.IsZero() {
			return bad("request %s: requested_at required", r.RequestID)
		}
	case RecheckAnswer:
		switch r.Status {
		case RecheckPresent, RecheckGone, RecheckUnknown:
		default:
			return bad("answer %s: status %q", r.RequestID, r.Status)
		}
		if r.Worker == "" || r.AnsweredAt == nil || r.AnsweredAt.IsZero() {
			return bad("answer %s: worker and answered_at required", r.RequestID)
		}
		if r.Status == RecheckUnknown && r.Reason == "" {
			return bad("answer %s: unknown without a reason", r.RequestID)
		}
		if p := r.Picture; p != nil && (p.Bucket == "" || p.Key == "" || len(p.SHA256) != 64 || p.Size <= 0) {
			return bad("answer %s: picture incomplete", r.RequestID)
		}
	default:
		return bad("type %q", r.Type)
	}
	return nil
}

// ValidateRecheckJSON checks a re-check message against its schema.
func ValidateRecheckJSON(msg []byte) error { return validate(RechecksTopicV1, msg) }
