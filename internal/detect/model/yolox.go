package model

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"

	"github.com/patrol-city/patrol/internal/detect"
	"gocv.io/x/gocv"
)

// cell is one output row's grid position and stride.
type cell struct {
	gx, gy, stride float32
}

// Detector runs a YOLOX ONNX model with ONNX Runtime or OpenCV DNN (images
// are prepared with OpenCV either way). It is not safe for
// concurrent use: callers must serialize Detect and Close.
type Detector struct {
	cfg   Config
	net   engine // nil after Close
	cells []cell
	out   []float32 // network output buffer, len(cells)*(5+len(Classes))
}

// Detect finds objects in img, a BGR 8UC3 Mat of any size, and returns them
// sorted by descending score, boxes in img's pixels. An empty Mat or one of
// another type is an error. img is not modified.
func (d *Detector) Detect(img gocv.Mat) ([]detect.Detection, error) {
	if d == nil || d.net == nil {
		return nil, ErrClosed
	}
	if img.Empty() {
		return nil, errors.New("detect: empty image")
	}
	if t := img.Type(); t != gocv.MatTypeCV8UC3 {
		return nil, fmt.Errorf("detect: image type %v with %d channels, want CV8UC3 (BGR)", t, img.Channels())
	}
	w, h := img.Cols(), img.Rows()
	s := d.cfg.InputSize
	r := math.Min(float64(s)/float64(h), float64(s)/float64(w))
	nw := min(max(int(float64(w)*r), 1), s)
	nh := min(max(int(float64(h)*r), 1), s)

	resized := gocv.NewMat()
	defer resized.Close()
	gocv.Resize(img, &resized, image.Pt(nw, nh), 0, 0, gocv.InterpolationLinear)
	padded := gocv.NewMat()
	defer padded.Close()
	gocv.CopyMakeBorder(resized, &padded, 0, s-nh, 0, s-nw, gocv.BorderConstant,
		color.RGBA{B: padValue, G: padValue, R: padValue})
	blob := gocv.BlobFromImage(padded, 1.0, image.Pt(s, s), gocv.NewScalar(0, 0, 0, 0), false, false)
	defer blob.Close()

	if _, err := d.net.forward(blob, d.out); err != nil {
		return nil, fmt.Errorf("detect: forward pass: %w", err)
	}
	return d.decode(r, w, h), nil
}

// decode turns the network output into NMS-filtered detections in frame
// pixels; r is the letterbox scale and w, h the frame size.
func (d *Detector) decode(r float64, w, h int) []detect.Detection {
	nc := len(d.cfg.Classes)
	rowLen := 5 + nc
	thr := d.cfg.ScoreThreshold
	var cands []candidate
	for i, c := range d.cells {
		row := d.out[i*rowLen : (i+1)*rowLen]
		obj := row[4]
		if !(obj >= thr) { // class scores are <= 1, so score <= obj
			continue
		}
		best, bestP := 0, row[5]
		for k, p := range row[5:] {
			if p > bestP {
				best, bestP = k, p
			}
		}
		score := obj * bestP
		if !(score >= thr) {
			continue
		}
		cx := float64((row[0] + c.gx) * c.stride)
		cy := float64((row[1] + c.gy) * c.stride)
		bw := math.Exp(float64(row[2])) * float64(c.stride)
		bh := math.Exp(float64(row[3])) * float64(c.stride)
		x1 := math.Max((cx-bw/2)/r, 0)
		y1 := math.Max((cy-bh/2)/r, 0)
		x2 := math.Min((cx+bw/2)/r, float64(w))
		y2 := math.Min((cy+bh/2)/r, float64(h))
		if !(x2 > x1 && y2 > y1) { // also rejects NaN
			continue
		}
		cands = append(cands, candidate{class: best, score: score, x1: x1, y1: y1, x2: x2, y2: y2})
	}
	kept := nms(cands, float64(d.cfg.NMSThreshold))
	dets := make([]detect.Detection, 0, len(kept))
	for _, c := range kept {
		box := image.Rect(int(math.Round(c.x1)), int(math.Round(c.y1)), int(math.Round(c.x2)), int(math.Round(c.y2)))
		if box.Empty() {
			continue
		}
		dets = append(dets, detect.Detection{Class: c.class, Label: d.cfg.Classes[c.class], Score: c.score, Box: box})
	}
	return dets
}

// Classes returns a copy of the class names the detector labels with.
func (d *Detector) Classes() []string { return slices.Clone(d.cfg.Classes) }

// Close frees the network. It is safe to call more than once; Detect
// returns ErrClosed afterwards. It always returns nil.
func (d *Detector) Close() error {
	if d != nil && d.net != nil {
		d.net.close()
		d.net = nil
	}
	return nil
}
