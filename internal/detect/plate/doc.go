// Package plate reads Chinese licence plates for parking cases (issue 21).
//
// Reader.ReadVehicle takes a vehicle's box in a full-resolution picture:
// Finder runs PaddleOCR's PP-OCRv6 small text detector (DB) on the box
// (scaled to at most 960 pixels), each text region becomes a
// quadrilateral (convex hull reduced to four corners, grown by DB's
// unclip ratio), plate-shaped ones are rectified by a perspective warp
// and read by Recognizer, PP-OCRv6's small recogniser, whose CTC output is
// decoded over the plate alphabet only. Each region is read at two
// horizontal margins, and a text is kept only when both reads agree and
// Check holds it to the plate grammar: a wrong plate costs a dispatcher
// more than none, so a plate that cannot be read is a Result with a
// Reason (too small, occluded, unreadable), never a guess.
//
// Both models are Apache-2.0 and come from the PyPI wheel rapidocr 3.10.0
// through models/manifest.json (models.PPOCRDet, models.PPOCRRec). Bad
// input is an error, never an abort: every size is checked before OpenCV
// or ONNX Runtime sees it.
package plate
