// Package plate reads Chinese licence plates for parking cases (issue 21,
// first part: the recogniser). Recognizer runs PaddleOCR's PP-OCRv6 small
// text recogniser (Apache-2.0, from the PyPI wheel rapidocr 3.10.0 through
// models/manifest.json) through ONNX Runtime on a plate crop, decodes its
// CTC output restricted to the plate alphabet (province characters,
// letters, digits and the special suffixes), and Check holds the text to
// the plate grammar: a text that breaks it is never reported, since a wrong
// plate costs a dispatcher more than none.
//
// Not yet here: finding the plate in a vehicle's box (text detection),
// rectification, the case's plate and the redacted copies.
package plate
