// Package model runs the object detector: a YOLOX ONNX network (default
// YOLOX-Nano, COCO 80 classes) through OpenCV DNN (gocv), behind a C++ shim
// that turns OpenCV exceptions into errors. NewDetector checks the model
// file (ONNX structure, input and output shapes) before OpenCV sees it, so a
// truncated or foreign file is an error wrapping ErrBadModel that names the
// file, never a process abort. Detector.Detect returns detect.Detections in
// frame pixels after letterboxing, decoding and class-aware NMS. This is
// the cgo part of detection; tracking and rules (package detect) are pure Go.
package model
