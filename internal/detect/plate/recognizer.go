package plate

import (
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"strings"

	ort "github.com/yalue/onnxruntime_go"
	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/internal/detect/model"
)

// The recogniser's input: 48 pixels high, up to MaxWidth wide (a plate is
// 2-5 times as wide as high; the rest is padded), 8 pixels per time step.
const (
	inputHeight = 48
	// MaxWidth is the widest input: a crop wider than 320/48 of its
	// height is squeezed.
	MaxWidth = 320
	stride   = 8
)

// Config configures a Recognizer.
type Config struct {
	// ModelPath is PP-OCRv6_rec_small.onnx (models.PPOCRRec; required).
	ModelPath string
	// RuntimeLibrary is ONNX Runtime's shared library (required; the
	// detector's: one library per process).
	RuntimeLibrary string
	// Threads is the intra-op thread count (default 1).
	Threads int
}

// Reading is what the recogniser read in a crop.
type Reading struct {
	// Text is the decoded text, restricted to Alphabet (it may break the
	// grammar: Check it).
	Text string
	// Score is the smallest probability of its characters (0 when empty).
	Score float64
}

// Recognizer reads the text of plate crops. It is not safe for concurrent
// use (one session, one input buffer); Close frees it.
type Recognizer struct {
	sess    *ort.AdvancedSession
	in, out *ort.Tensor[float32]
	classes int
	// allowed[i]: class i is the CTC blank or a character of Alphabet.
	allowed []bool
	vocab   []string
}

// NewRecognizer loads the model and its character list (the model's
// metadata, key "character"). A file that is not the expected model is an
// error, not an abort.
func NewRecognizer(cfg Config) (*Recognizer, error) {
	if cfg.ModelPath == "" || cfg.RuntimeLibrary == "" {
		return nil, errors.New("plate: model path and runtime library required")
	}
	if err := model.InitRuntime(cfg.RuntimeLibrary); err != nil {
		return nil, fmt.Errorf("plate: %w", err)
	}
	vocab, err := characters(cfg.ModelPath)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(cfg.ModelPath)
	if err != nil {
		return nil, fmt.Errorf("plate: %w", err)
	}
	r := &Recognizer{classes: len(vocab), vocab: vocab, allowed: make([]bool, len(vocab))}
	for i, c := range vocab {
		r.allowed[i] = i == 0 || (c != "" && strings.Contains(Alphabet, c))
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("plate: %w", err)
	}
	defer func() { _ = opts.Destroy() }()
	threads := max(cfg.Threads, 1)
	if err := opts.SetIntraOpNumThreads(threads); err != nil {
		return nil, fmt.Errorf("plate: %w", err)
	}
	if r.in, err = ort.NewEmptyTensor[float32](ort.NewShape(1, 3, inputHeight, MaxWidth)); err != nil {
		return nil, fmt.Errorf("plate: %w", err)
	}
	if r.out, err = ort.NewEmptyTensor[float32](ort.NewShape(1, MaxWidth/stride, int64(len(vocab)))); err != nil {
		r.Close()
		return nil, fmt.Errorf("plate: %w", err)
	}
	r.sess, err = ort.NewAdvancedSessionWithONNXData(data, []string{"x"}, []string{"fetch_name_0"},
		[]ort.Value{r.in}, []ort.Value{r.out}, opts)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("plate: %s: %w", cfg.ModelPath, err)
	}
	return r, nil
}

// characters is the model's class list: the CTC blank, the metadata's
// characters, then the space.
func characters(path string) ([]string, error) {
	md, err := ort.GetModelMetadata(path)
	if err != nil {
		return nil, fmt.Errorf("plate: %s: %w", path, err)
	}
	defer func() { _ = md.Destroy() }()
	list, ok, err := md.LookupCustomMetadataMap("character")
	if err != nil {
		return nil, fmt.Errorf("plate: %s: %w", path, err)
	}
	if !ok || list == "" {
		return nil, fmt.Errorf("plate: %s: no character list in the model's metadata (not a PP-OCR recogniser)", path)
	}
	chars := strings.Split(list, "\n")
	return append(append([]string{""}, chars...), " "), nil
}

// Read reads the text of a plate crop (BGR, any size): scaled to 48 pixels
// high, decoded greedily (CTC) over the plate alphabet.
func (r *Recognizer) Read(crop gocv.Mat) (Reading, error) {
	if r == nil || r.sess == nil {
		return Reading{}, errors.New("plate: recogniser closed")
	}
	if crop.Empty() || crop.Channels() != 3 || crop.Rows() < 4 || crop.Cols() < 4 {
		return Reading{}, fmt.Errorf("plate: crop %dx%d with %d channels: want a BGR picture of at least 4x4", crop.Cols(), crop.Rows(), crop.Channels())
	}
	w := min(int(math.Ceil(float64(inputHeight)*float64(crop.Cols())/float64(crop.Rows()))), MaxWidth)
	if err := r.fill(crop, w); err != nil {
		return Reading{}, err
	}
	if err := r.sess.Run(); err != nil {
		return Reading{}, fmt.Errorf("plate: %w", err)
	}
	steps := (w + stride - 1) / stride
	return r.decode(r.out.GetData(), min(steps, MaxWidth/stride)), nil
}

// fill writes the crop, scaled to w x 48 and normalised to [-1, 1], into
// the input tensor (zero beyond w).
func (r *Recognizer) fill(crop gocv.Mat, w int) error {
	scaled := gocv.NewMat()
	defer scaled.Close()
	gocv.Resize(crop, &scaled, image.Pt(w, inputHeight), 0, 0, gocv.InterpolationLinear)
	px, err := scaled.DataPtrUint8()
	if err != nil {
		return fmt.Errorf("plate: %w", err)
	}
	in := r.in.GetData()
	clear(in)
	plane := inputHeight * MaxWidth
	for y := range inputHeight {
		for x := range w {
			o := (y*w + x) * 3
			for c := range 3 {
				in[c*plane+y*MaxWidth+x] = float32(px[o+c])/127.5 - 1
			}
		}
	}
	return nil
}

// decode is greedy CTC over the allowed classes: the best class at each
// step, repeats merged, blanks dropped.
func (r *Recognizer) decode(out []float32, steps int) Reading {
	var b strings.Builder
	score, prev := 1.0, -1
	for t := range steps {
		row := out[t*r.classes : (t+1)*r.classes]
		best, bp := 0, float32(-1)
		for i, p := range row {
			if r.allowed[i] && p > bp {
				best, bp = i, p
			}
		}
		if best != 0 && best != prev {
			b.WriteString(r.vocab[best])
			score = math.Min(score, float64(bp))
		}
		prev = best
	}
	if b.Len() == 0 {
		score = 0
	}
	return Reading{Text: b.String(), Score: score}
}

// Close frees the session and its tensors; calling it again is a no-op.
func (r *Recognizer) Close() {
	if r == nil {
		return
	}
	if r.sess != nil {
		_ = r.sess.Destroy()
	}
	if r.in != nil {
		_ = r.in.Destroy()
	}
	if r.out != nil {
		_ = r.out.Destroy()
	}
	r.sess, r.in, r.out = nil, nil, nil
}
