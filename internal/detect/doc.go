// Package detect turns detections in video frames into events: tracking,
// zones and rules, in pure Go (it builds with CGO_ENABLED=0, so config can
// parse schedules without linking OpenCV). Its sub-packages are the other
// parts of the detect stage: detect/model runs the detector (YOLOX through
// OpenCV DNN, cgo), detect/motion gates inference on picture change, and
// detect/pipeline wires ingest, detection, rules and the case lifecycle per
// camera.
//
// It has these layers, each usable on its own:
//
//   - Detection is one object found in a frame (model.Detector returns
//     them in frame pixels).
//   - Tracker links detections across frames into Tracks: greedy IoU
//     matching (against the last and, for moving tracks, the predicted
//     box). A track that has been at rest (Still) survives MaxLost (60s)
//     unseen instead of MaxMissed (5s) and is picked up again by a detection
//     at its rest place, so a parked car hidden by a passing bus keeps its ID
//     and detector flicker does not split tracks. Movement is judged as a
//     fraction of the box diagonal, so a truck and a scooter are alike.
//   - Zone is a normalized polygon in the frame; Anchor gives the point of a
//     box (bottom centre) that is tested against zones.
//   - Rules watch tracks inside a zone and emit Events: Stationary (one
//     vehicle at rest for MinDwell: illegal parking 0505, 0506) and
//     Gathering (people at rest with stall objects: street vending 0501).
//     Both take per-rule filters: MinScore, MinBoxSize, Masks, schedule
//     Windows (ParseWindows, Schedule) in a time zone, and Cooldown.
//   - Tracker.Hold keeps tracks seen through frames the motion gate
//     (detect/motion) skipped, so dwell keeps counting.
//
// A typical loop per frame: if the gate says infer, dets := det.Detect(frame)
// and tracks := tr.Update(dets, now), else tracks := tr.Hold(now); then
// events := rule.Update(tracks, w, h, now) for each rule. None of the types
// are safe for concurrent use; callers serialize.
package detect
