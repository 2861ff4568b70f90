package pipeline

import (
	"fmt"

	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/internal/detect"
	"github.com/patrol-city/patrol/internal/media"
)

// MatDetector adapts a detector of OpenCV matrices to ObjectDetector.
type MatDetector struct {
	D interface {
		Detect(img gocv.Mat) ([]detect.Detection, error)
	}
}

// DetectImage checks the picture's layout, wraps it in a matrix without
// copying and runs detection.
func (m MatDetector) DetectImage(img *media.Image) ([]detect.Detection, error) {
	if img.Width <= 0 || img.Height <= 0 || len(img.BGR) != img.Width*img.Height*3 {
		return nil, fmt.Errorf("detect: picture %dx%d with %d bytes is not packed BGR", img.Width, img.Height, len(img.BGR))
	}
	mat, err := gocv.NewMatFromBytes(img.Height, img.Width, gocv.MatTypeCV8UC3, img.BGR)
	if err != nil {
		return nil, fmt.Errorf("detect: %w", err)
	}
	defer mat.Close()
	return m.D.Detect(mat)
}
