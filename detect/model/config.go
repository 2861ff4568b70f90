package model

import (
	"errors"
	"fmt"

	"github.com/patrol-city/patrol/detect"
)

// Detector defaults, used when the corresponding Config field is zero.
const (
	// DefaultInputSize is the square network input side of YOLOX-Nano.
	DefaultInputSize = 416
	// DefaultScoreThreshold is the minimum objectness*class score kept.
	DefaultScoreThreshold float32 = 0.3
	// DefaultNMSThreshold is the detect.IoU above which a lower-scored box of the
	// same class is suppressed.
	DefaultNMSThreshold float32 = 0.45
)

// ErrBadModel is wrapped by every NewDetector error caused by the model file:
// missing, empty, not ONNX, truncated, a different network (wrong input or
// output shape), rejected by OpenCV, or failing the warm-up forward pass.
// Test with errors.Is(err, ErrBadModel); the message names the file.
var ErrBadModel = errors.New("bad model")

// ErrClosed is returned by Detect after Close.
var ErrClosed = errors.New("detect: detector is closed")

// inputName is the name of the YOLOX ONNX input tensor.
const inputName = "images"

// padValue is the letterbox padding gray level used in YOLOX training.
const padValue = 114

// Config configures a Detector. Zero fields take the documented defaults.
type Config struct {
	// ModelPath is the YOLOX ONNX file (required), e.g. yolox_nano.onnx.
	ModelPath string
	// InputSize is the network's square input side in pixels; it must be a
	// multiple of 32 and match the model. Default 416 (DefaultInputSize).
	InputSize int
	// ScoreThreshold is the minimum score (objectness * class probability)
	// of a returned detection. Default 0.3 (DefaultScoreThreshold).
	ScoreThreshold float32
	// NMSThreshold is the class-aware non-maximum-suppression detect.IoU threshold.
	// Default 0.45 (DefaultNMSThreshold).
	NMSThreshold float32
	// Classes are the model's class names in output order. Default
	// detect.COCOClasses. The model output must have 5+len(Classes) values per row.
	Classes []string
	// Threads, if > 0, sets OpenCV's process-wide worker thread count
	// (cv::setNumThreads; affects every OpenCV user in the process).
	// Default 0 leaves OpenCV's setting alone.
	Threads int
}

// withDefaults fills zero fields and validates the rest.
func (c Config) withDefaults() (Config, error) {
	if c.InputSize == 0 {
		c.InputSize = DefaultInputSize
	}
	if c.ScoreThreshold == 0 {
		c.ScoreThreshold = DefaultScoreThreshold
	}
	if c.NMSThreshold == 0 {
		c.NMSThreshold = DefaultNMSThreshold
	}
	if len(c.Classes) == 0 {
		c.Classes = detect.COCOClasses
	}
	switch {
	case c.InputSize < 32 || c.InputSize%32 != 0:
		return c, fmt.Errorf("detect: InputSize %d is not a positive multiple of 32", c.InputSize)
	case !(c.ScoreThreshold > 0 && c.ScoreThreshold <= 1):
		return c, fmt.Errorf("detect: ScoreThreshold %v not in (0,1]", c.ScoreThreshold)
	case !(c.NMSThreshold > 0 && c.NMSThreshold <= 1):
		return c, fmt.Errorf("detect: NMSThreshold %v not in (0,1]", c.NMSThreshold)
	case c.Threads < 0:
		return c, fmt.Errorf("detect: Threads %d is negative", c.Threads)
	}
	return c, nil
}
