package detect

import (
	"image"
	"time"
)

// Rule kinds, as in Event.Kind.
const (
	KindStationary = "stationary"
	KindGathering  = "gathering"
	// KindCount is a Count rule's: a group of objects at rest.
	KindCount = "count"
)

// Object roles, as in EventObject.Role.
const (
	// RoleSubject is the object a stationary event is about.
	RoleSubject = "subject"
	// RoleMember is a person of a gathering.
	RoleMember = "member"
	// RoleStall is a stall object (umbrella, table, ...) of a gathering.
	RoleStall = "stall"
)

// Event is a rule firing for one track (Stationary) or one group of tracks
// (Gathering).
type Event struct {
	// RuleID, Code and Name come from the rule's config, ZoneID from its zone.
	RuleID, Code, Name, ZoneID string
	// Kind is the rule kind: KindStationary, KindGathering or KindCount.
	Kind string
	// TrackID, Label, Score and Box describe the track when the rule fired.
	// For a gathering TrackID is the lowest member track ID (it identifies
	// the group), Label the members' label, Score the best member score and
	// Box the union of the members' and stall objects' boxes.
	TrackID uint64
	Label   string
	Score   float32
	Box     image.Rectangle
	// FirstSeen is when the track came to rest in the zone (for a gathering,
	// when enough members were at rest); ConfirmedAt is when the rule fired
	// (the now passed to Update).
	FirstSeen, ConfirmedAt time.Time
	// Dwell is how long the track (the group) had been at rest in the zone,
	// including time it was hidden while at rest.
	Dwell time.Duration
	// Objects lists every object the event is about: the subject of a
	// stationary event, the members and then the stall objects of a
	// gathering.
	Objects []EventObject
	// Members are a gathering's person track IDs, Stalls its stall object
	// track IDs, both ascending; nil for stationary events.
	Members, Stalls []uint64
	// Why explains the event (see Explanation).
	Why Explanation
}

// EventObject is one tracked object of an Event, as it was when the rule
// fired.
type EventObject struct {
	TrackID uint64
	Label   string
	Score   float32
	Box     image.Rectangle
	// Role is RoleSubject, RoleMember or RoleStall.
	Role string
}

// eventObject describes t in role.
func eventObject(t *Track, role string) EventObject {
	return EventObject{TrackID: t.ID, Label: t.Label, Score: t.Score, Box: t.Box, Role: role}
}
