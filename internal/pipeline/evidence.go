package pipeline

import (
	"image"

	"github.com/patrol-city/patrol/internal/detect/model"
	"github.com/patrol-city/patrol/internal/media"
)

// analysisSize is the side of the square the decoder scales analysed
// pictures into: the detector's input, so that the one libswscale pass
// of the decoder is the only scaling (the detector then only pads).
const analysisSize = model.DefaultInputSize

// evidencePicture returns the picture for a snapshot of f: the same moment
// decoded again at full resolution from the camera's ring, with boxes
// (in f's pixels) scaled to it. When that fails (the ring moved on, or a
// test decoder) it returns f's own picture and boxes.
func (w *cameraWorker) evidencePicture(f media.Frame, boxes []image.Rectangle) (media.Image, []image.Rectangle) {
	full, err := w.cam.FullPicture(f.Recv)
	if err != nil || !w.view.on && full.Width == f.Width && full.Height == f.Height {
		if err != nil {
			w.log.Debug("snapshot at analysis size", "err", err)
		}
		return f.Image, boxes
	}
	out := make([]image.Rectangle, len(boxes))
	for i, b := range boxes {
		out[i] = w.view.toFrame(b, f.Width, f.Height, full.Width, full.Height)
	}
	return *full, out
}
