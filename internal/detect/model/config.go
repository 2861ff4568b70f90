package model

import (
	"errors"
	"fmt"

	"github.com/patrol-city/patrol/internal/detect"
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

// ErrRuntime is wrapped by NewDetector errors caused by the inference
// runtime rather than the model: libonnxruntime.so missing, unreadable or
// of an incompatible version.
var ErrRuntime = errors.New("inference runtime unavailable")

// ErrClosed is returned by Detect after Close.
var ErrClosed = errors.New("detect: detector is closed")

// inputName is the name of the YOLOX ONNX input tensor.
const inputName = "images"

// padValue is the letterbox padding gray level used in YOLOX training.
const padValue = 114

// Backends of the detector.
const (
	// BackendONNXRuntime runs the model with ONNX Runtime (the default:
	// about 4x faster than OpenCV 4.6 DNN on the same model and picture,
	// see docs/performance.md).
	BackendONNXRuntime = "onnxruntime"
	// BackendOpenCV runs the model with OpenCV DNN (what gocv links).
	BackendOpenCV = "opencv"
)

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
	// Backend is BackendONNXRuntime (default) or BackendOpenCV.
	Backend string
	// RuntimeLibrary is the path of libonnxruntime.so (required by the
	// ONNX Runtime backend; `patrol models pull` fetches it).
	RuntimeLibrary string
	// Threads is the backend's thread count. ONNX Runtime: intra-op
	// threads of this detector's session, default 0 meaning 1 (the least
	// CPU per inference on a node that also decodes video). OpenCV: if > 0,
	// OpenCV's process-wide worker thread count (cv::setNumThreads; affects
	// every OpenCV user in the process); 0 leaves OpenCV's setting alone.
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
	if c.Backend == "" {
		c.Backend = BackendONNXRuntime
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
	case c.Backend != BackendONNXRuntime && c.Backend != BackendOpenCV:
		return c, fmt.Errorf("detect: backend %q (onnxruntime or opencv)", c.Backend)
	case c.Backend == BackendONNXRuntime && c.RuntimeLibrary == "":
		return c, errors.New("detect: the onnxruntime backend needs RuntimeLibrary (the path of libonnxruntime.so; `patrol models pull` fetches it)")
	case c.Threads < 0:
		return c, fmt.Errorf("detect: Threads %d is negative", c.Threads)
	}
	return c, nil
}
