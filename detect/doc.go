// Package detect finds objects in video frames and turns them into events.
//
// It has these layers, each usable on its own:
//
//   - Detector runs a YOLOX (default YOLOX-Nano, COCO 80 classes) ONNX model
//     through OpenCV DNN and returns Detections in frame pixels.
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
//   - MotionGate says whether a frame changed within the zones since the
//     last inference, and when inference is due anyway (every 5s); frames
//     skipped are passed to Tracker.Hold so dwell keeps counting.
//
// A typical loop per frame: if gate says infer, dets := det.Detect(frame)
// and tracks := tr.Update(dets, now), else tracks := tr.Hold(now); then
// events := rule.Update(tracks, w, h, now) for each rule. None of the types
// are safe for concurrent use; callers serialize.
package detect
