package plate

import (
	"errors"
	"fmt"
	"image"
	"math"
	"os"

	ort "github.com/yalue/onnxruntime_go"
	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/internal/detect/model"
)

// Finder defaults.
const (
	// DefaultFinderSide is the longest side the text detector sees: a
	// vehicle crop is scaled down to it (never up). At 960 the kerb-side
	// sedan of the test pictures is found and read; at 640 its plate is
	// missed.
	DefaultFinderSide = 960
	// DefaultTextThreshold is the probability above which a pixel is text
	// (PaddleOCR's DB default).
	DefaultTextThreshold = 0.3
	// DefaultUnclip grows a found region by area*Unclip/perimeter on each
	// side (DB shrinks text regions in training; PaddleOCR's 1.5).
	DefaultUnclip = 1.5
)

// FinderConfig configures a Finder.
type FinderConfig struct {
	// ModelPath is PP-OCRv6_det_small.onnx (models.PPOCRDet; required).
	ModelPath string
	// RuntimeLibrary is ONNX Runtime's shared library (required).
	RuntimeLibrary string
	// Threads is the intra-op thread count (default 1).
	Threads int
	// Side is the longest side the detector sees (default
	// DefaultFinderSide; rounded to a multiple of 32).
	Side int
	// Threshold is the text probability threshold (default
	// DefaultTextThreshold).
	Threshold float64
	// Unclip is the DB unclip ratio (default DefaultUnclip).
	Unclip float64
}

func (c *FinderConfig) applyDefaults() {
	if c.Threads <= 0 {
		c.Threads = 1
	}
	if c.Side <= 0 {
		c.Side = DefaultFinderSide
	}
	c.Side = max(32, c.Side/32*32)
	if c.Threshold <= 0 || c.Threshold >= 1 {
		c.Threshold = DefaultTextThreshold
	}
	if c.Unclip <= 0 {
		c.Unclip = DefaultUnclip
	}
}

// Finder finds text regions (quadrilaterals) in a picture with PaddleOCR's
// PP-OCRv6 small text detector (DB). It is not safe for concurrent use;
// Close frees it.
type Finder struct {
	cfg  FinderConfig
	sess *ort.DynamicAdvancedSession
}

// NewFinder loads the text detector. A file that is not a model is an
// error, not an abort.
func NewFinder(cfg FinderConfig) (*Finder, error) {
	cfg.applyDefaults()
	if cfg.ModelPath == "" || cfg.RuntimeLibrary == "" {
		return nil, errors.New("plate: finder: model path and runtime library required")
	}
	if err := model.InitRuntime(cfg.RuntimeLibrary); err != nil {
		return nil, fmt.Errorf("plate: %w", err)
	}
	data, err := os.ReadFile(cfg.ModelPath)
	if err != nil {
		return nil, fmt.Errorf("plate: %w", err)
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("plate: %w", err)
	}
	defer func() { _ = opts.Destroy() }()
	if err := opts.SetIntraOpNumThreads(cfg.Threads); err != nil {
		return nil, fmt.Errorf("plate: %w", err)
	}
	sess, err := ort.NewDynamicAdvancedSessionWithONNXData(data, []string{"x"}, []string{"fetch_name_0"}, opts)
	if err != nil {
		return nil, fmt.Errorf("plate: finder: %s: %w", cfg.ModelPath, err)
	}
	return &Finder{cfg: cfg, sess: sess}, nil
}

// Find returns the text regions of img (BGR, at least 8x8), their
// quadrilaterals in img's pixels, corners in the order top-left,
// top-right, bottom-right, bottom-left.
func (f *Finder) Find(img gocv.Mat) ([]Region, error) {
	if f == nil || f.sess == nil {
		return nil, errors.New("plate: finder closed")
	}
	if img.Empty() || img.Channels() != 3 || img.Rows() < 8 || img.Cols() < 8 {
		return nil, fmt.Errorf("plate: picture %dx%d with %d channels: want a BGR picture of at least 8x8", img.Cols(), img.Rows(), img.Channels())
	}
	w, h := inputSize(img.Cols(), img.Rows(), f.cfg.Side)
	in, err := ort.NewTensor(ort.NewShape(1, 3, int64(h), int64(w)), normalise(img, w, h))
	if err != nil {
		return nil, fmt.Errorf("plate: %w", err)
	}
	defer func() { _ = in.Destroy() }()
	out, err := ort.NewEmptyTensor[float32](ort.NewShape(1, 1, int64(h), int64(w)))
	if err != nil {
		return nil, fmt.Errorf("plate: %w", err)
	}
	defer func() { _ = out.Destroy() }()
	if err := f.sess.Run([]ort.Value{in}, []ort.Value{out}); err != nil {
		return nil, fmt.Errorf("plate: finder: %w", err)
	}
	sx, sy := float64(img.Cols())/float64(w), float64(img.Rows())/float64(h)
	return f.regions(out.GetData(), w, h, sx, sy), nil
}

// Region is a text region: its quadrilateral, and other readings of its
// corners worth trying when Quad does not read.
type Region struct {
	Quad         Quad
	Alternatives []Quad
}

// inputSize scales (cols, rows) so that the longer side is at most side,
// each side a multiple of 32 (at least 32).
func inputSize(cols, rows, side int) (w, h int) {
	s := math.Min(1, float64(side)/float64(max(cols, rows)))
	round := func(v int) int { return max(32, int(math.Round(float64(v)*s/32))*32) }
	return round(cols), round(rows)
}

// ImageNet's mean and standard deviation, in RGB order.
var (
	mean = [3]float32{0.485, 0.456, 0.406}
	std  = [3]float32{0.229, 0.224, 0.225}
)

// normalise scales img to w x h and returns it as RGB planes, /255 and
// normalised with ImageNet's mean and standard deviation.
func normalise(img gocv.Mat, w, h int) []float32 {
	scaled := gocv.NewMat()
	defer scaled.Close()
	gocv.Resize(img, &scaled, image.Pt(w, h), 0, 0, gocv.InterpolationLinear)
	px, _ := scaled.DataPtrUint8() // continuous: Resize allocates it
	data := make([]float32, 3*w*h)
	plane := w * h
	for i := range plane {
		for c := range 3 {
			// BGR in, RGB planes out.
			v := float32(px[i*3+2-c]) / 255
			data[c*plane+i] = (v - mean[c]) / std[c]
		}
	}
	return data
}

// regions turns the probability map (w x h) into quadrilaterals scaled by
// (sx, sy): pixels above the threshold, their outer contours, each
// approximated by four corners and grown by the unclip ratio.
func (f *Finder) regions(prob []float32, w, h int, sx, sy float64) []Region {
	bin := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8U)
	defer bin.Close()
	px, _ := bin.DataPtrUint8()
	th := float32(f.cfg.Threshold)
	for i, p := range prob {
		if p > th {
			px[i] = 255
		}
	}
	contours := gocv.FindContours(bin, gocv.RetrievalList, gocv.ChainApproxSimple)
	defer contours.Close()
	var out []Region
	for i := range contours.Size() {
		var alts []Quad
		for _, q := range quadOf(contours.At(i)) {
			if q, ok := q.unclip(f.cfg.Unclip); ok {
				alts = append(alts, q.scale(sx, sy))
			}
		}
		if len(alts) > 0 {
			out = append(out, Region{Quad: alts[0], Alternatives: alts[1:]})
		}
	}
	return out
}

// Close frees the session; calling it again is a no-op.
func (f *Finder) Close() {
	if f == nil || f.sess == nil {
		return
	}
	_ = f.sess.Destroy()
	f.sess = nil
}
