package detect

import "image"

// Detection is one object found in a frame.
type Detection struct {
	// Class is the index into the detector's Classes.
	Class int
	// Label is Classes[Class], e.g. "car".
	Label string
	// Score is objectness * class probability, in [0,1].
	Score float32
	// Box is the object's bounding box in pixels of the input frame,
	// clipped to the frame.
	Box image.Rectangle
}
