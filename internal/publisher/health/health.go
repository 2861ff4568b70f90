// Package health defines the camera health events patrol publishes on Kafka
// topic patrol.health.v1 (key = camera id): connection state changes and
// picture problems (frozen picture, covered or black lens), each with the
// matching recovery event.
package health

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// SchemaVersion is the version of the Event JSON layout.
const SchemaVersion = 1

// Event kinds.
const (
	// KindState reports a connection state change (State is one of the
	// State* constants).
	KindState = "state"
	// KindPicture reports a picture problem or its recovery (State is one of
	// the Picture* constants).
	KindPicture = "picture"
	// KindDecoder reports the health of a camera's decoding (State is one of
	// the Decoder* constants): a decode call that hung (the decoder was
	// replaced) or a stream that is mostly undecodable.
	KindDecoder = "decoder"
)

// Decoder states.
const (
	DecoderOK       = "ok"
	DecoderStuck    = "stuck"
	DecoderDegraded = "degraded"
)

// Connection states.
const (
	StateConnecting = "connecting"
	StateStreaming  = "streaming"
	StateStalled    = "stalled"
	StateOffline    = "offline"
)

// Picture states.
const (
	PictureOK      = "ok"
	PictureFrozen  = "frozen"
	PictureCovered = "covered"
)

// Event is one health event.
type Event struct {
	SchemaVersion int    `json:"schema_version"`
	EventID       string `json:"event_id"`
	Worker        string `json:"worker"`
	CameraID      string `json:"camera_id"`
	CameraName    string `json:"camera_name"`
	// Kind is "state" or "picture".
	Kind string `json:"kind"`
	// State is the new state (see the constants).
	State string `json:"state"`
	// Previous is the state before this change.
	Previous string `json:"previous,omitempty"`
	// Reason explains the change in words (never contains credentials).
	Reason string `json:"reason,omitempty"`
	// At is the server time of the change.
	At time.Time `json:"at"`
	// Stream is set for a camera with a sub-stream (detect_url): "main"
	// (url: clips and snapshots) or "detect" (detect_url: the analysed
	// pictures). Empty for a camera with one stream.
	Stream string `json:"stream,omitempty"`
}

// Streams of a camera with a sub-stream.
const (
	StreamMain   = "main"
	StreamDetect = "detect"
)

// WithStream returns e for one stream of a camera with a sub-stream; the
// stream is part of the event id.
func (e Event) WithStream(stream string) Event {
	e.Stream = stream
	h := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%s|%s|%d|%s", e.Worker, e.CameraID, e.Kind, e.State, e.At.UnixNano(), stream)))
	e.EventID = hex.EncodeToString(h[:10])
	return e
}

// NewEvent fills the version and a deterministic event id.
func NewEvent(worker, cameraID, cameraName, kind, state, previous, reason string, at time.Time) Event {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%s|%s|%d", worker, cameraID, kind, state, at.UnixNano())))
	return Event{
		SchemaVersion: SchemaVersion, EventID: hex.EncodeToString(h[:10]), Worker: worker,
		CameraID: cameraID, CameraName: cameraName, Kind: kind, State: state, Previous: previous,
		Reason: reason, At: at.UTC(),
	}
}
