// Package replay plays a recorded video through one camera's zones and
// rules as fast as the CPU allows (or at a given speed), on the
// recording's own clock: the same pipeline as `patrol run` from the ring
// buffer on (sampling, key-frame decoding, motion gate, detector,
// tracker, rules, case lifecycle, clip cutting and snapshots, publisher),
// with the recording's access units in place of an RTSP session, and
// with neither Kafka nor S3: cases are collected and their evidence
// written to a directory.
//
// The clock: every unit is stamped Start + its loop's offset + its PTS,
// and a clockwork.FakeClock (github.com/jonboulle/clockwork) is moved to
// a unit's time once the camera has taken the unit into its ring. The
// pipeline's frames carry these times (tracking, dwell, motion gate,
// case lifecycle), and the publisher waits for each case's post-roll on
// the same clock. Nothing is dropped on the way to the detector: the
// decode queue and the detector's slot make the recording wait instead.
// The same recording and configuration give the same cases, times,
// boxes and evidence on every run; only published_at (the moment a case
// reached the collector, on the replay clock) may differ.
package replay
