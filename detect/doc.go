// Package detect finds objects in video frames and turns them into events.
//
// It has four layers, each usable on its own:
//
//   - Detector runs a YOLOX (default YOLOX-Nano, COCO 80 classes) ONNX model
//     through OpenCV DNN and returns Detections in frame pixels.
//   - Tracker links detections across frames into Tracks (greedy IoU
//     matching for now).
//   - Zone is a normalized polygon in the frame; Anchor gives the point of a
//     box (bottom centre) that is tested against zones.
//   - Rules such as Stationary watch tracks inside a zone and emit Events
//     (e.g. a vehicle parked in a no-parking zone for longer than MinDwell).
//
// A typical loop per frame: dets := det.Detect(frame);
// tracks := tr.Update(dets, now); events := rule.Update(tracks, w, h, now).
// None of the types are safe for concurrent use; callers serialize.
package detect
