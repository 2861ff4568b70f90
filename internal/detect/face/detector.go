package face

import (
	"errors"
	"fmt"
	"image"
	"os"
	"slices"

	ort "github.com/yalue/onnxruntime_go"
	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/internal/detect/model"
)

// Face is one face found in a picture.
type Face struct {
	// Box is the face in the picture's pixels, clipped to the picture.
	Box image.Rectangle
	// Score is sqrt(class*objectness), in [MinScore, 1].
	Score float64
	// Landmarks are the right eye, left eye, nose tip, right and left
	// mouth corners (the person's right and left), in the picture's pixels
	// (not clipped).
	Landmarks [5]image.Point
}

// Detector finds faces. It is not safe for concurrent use (one session,
// one set of tensors); Close frees it.
type Detector struct {
	cfg  Config
	sess *ort.AdvancedSession
	in   *ort.Tensor[float32]
	// per stride: class, objectness, box, landmarks
	cls, obj, box, kps [3]*ort.Tensor[float32]
}

// New loads the model. A file that is not YuNet 2023mar (another model, no
// model at all) is an error, not an abort.
func New(cfg Config) (*Detector, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := model.InitRuntime(cfg.RuntimeLibrary); err != nil {
		return nil, fmt.Errorf("face: %w", err)
	}
	data, err := os.ReadFile(cfg.ModelPath)
	if err != nil {
		return nil, fmt.Errorf("face: %w", err)
	}
	if err := checkModel(data); err != nil {
		return nil, fmt.Errorf("face: %s: %w", cfg.ModelPath, err)
	}
	d := &Detector{cfg: cfg}
	if err := d.load(data); err != nil {
		d.Close()
		return nil, fmt.Errorf("face: %s: %w", cfg.ModelPath, err)
	}
	return d, nil
}

// outputs lists the model's output names in the order of its tensors.
func outputs() []string {
	var names []string
	for _, kind := range []string{"cls", "obj", "bbox", "kps"} {
		for _, s := range strides {
			names = append(names, fmt.Sprintf("%s_%d", kind, s))
		}
	}
	return names
}

// width is the last dimension of an output kind.
func width(kind string) int64 {
	switch kind {
	case "bbox":
		return 4
	case "kps":
		return 10
	}
	return 1
}

// checkModel verifies the model's input and outputs before a session is
// built on them.
func checkModel(data []byte) error {
	ins, outs, err := ort.GetInputOutputInfoWithONNXData(data)
	if err != nil {
		return fmt.Errorf("not an ONNX model: %w", err)
	}
	if len(ins) != 1 || ins[0].Name != "input" || !slices.Equal(ins[0].Dimensions, ort.NewShape(1, 3, Side, Side)) {
		return fmt.Errorf("not YuNet 2023mar: want one input \"input\" [1 3 %d %d]", Side, Side)
	}
	have := map[string]ort.Shape{}
	for _, o := range outs {
		have[o.Name] = o.Dimensions
	}
	for _, kind := range []string{"cls", "obj", "bbox", "kps"} {
		for _, s := range strides {
			name := fmt.Sprintf("%s_%d", kind, s)
			n := int64((Side / s) * (Side / s))
			if want := ort.NewShape(1, n, width(kind)); !slices.Equal(have[name], want) {
				return fmt.Errorf("not YuNet 2023mar: output %s is %v, want %v", name, have[name], want)
			}
		}
	}
	return nil
}

// load builds the session and its tensors.
func (d *Detector) load(data []byte) error {
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return err
	}
	defer func() { _ = opts.Destroy() }()
	if err := opts.SetIntraOpNumThreads(d.cfg.Threads); err != nil {
		return err
	}
	if err := opts.SetInterOpNumThreads(1); err != nil {
		return err
	}
	// Idle pool threads would otherwise spin and take CPU from decoding.
	if err := opts.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"); err != nil {
		return err
	}
	if d.in, err = ort.NewEmptyTensor[float32](ort.NewShape(1, 3, Side, Side)); err != nil {
		return err
	}
	var outs []ort.Value
	for _, k := range []struct {
		w int64
		t *[3]*ort.Tensor[float32]
	}{{1, &d.cls}, {1, &d.obj}, {4, &d.box}, {10, &d.kps}} {
		for i, s := range strides {
			n := int64((Side / s) * (Side / s))
			if k.t[i], err = ort.NewEmptyTensor[float32](ort.NewShape(1, n, k.w)); err != nil {
				return err
			}
			outs = append(outs, k.t[i])
		}
	}
	d.sess, err = ort.NewAdvancedSessionWithONNXData(data, []string{"input"}, outputs(),
		[]ort.Value{d.in}, outs, opts)
	return err
}

// Detect finds the faces of a BGR picture of any size (each side at least
// MinSide), sorted by descending score. An empty, gray or tiny picture is
// an error, checked before OpenCV sees it.
func (d *Detector) Detect(img gocv.Mat) ([]Face, error) {
	if d == nil || d.sess == nil {
		return nil, errors.New("face: detector closed")
	}
	if img.Empty() || img.Type() != gocv.MatTypeCV8UC3 || img.Rows() < MinSide || img.Cols() < MinSide {
		return nil, fmt.Errorf("face: picture %dx%d of type %v: want 8-bit BGR of at least %dx%d",
			img.Cols(), img.Rows(), img.Type(), MinSide, MinSide)
	}
	w, h := img.Cols(), img.Rows()
	t := tileScale(w, h, d.cfg.Scale, d.cfg.MaxTiles)
	var cands []candidate
	if whole := float64(Side) / float64(max(w, h)); whole < t && tiles(w, h, t) > 1 {
		// The tiles cut large faces: look at the whole picture too.
		c, err := d.pass(img, whole)
		if err != nil {
			return nil, err
		}
		cands = append(cands, c...)
	}
	c, err := d.pass(img, t)
	if err != nil {
		return nil, err
	}
	cands = append(cands, c...)
	return finish(merge(cands), w, h), nil
}

// pass scales the picture by s and runs the model on each 640x640 tile of
// it, returning candidates in the picture's pixels.
func (d *Detector) pass(img gocv.Mat, s float64) ([]candidate, error) {
	w, h := img.Cols(), img.Rows()
	sw, sh := scaled(w, s), scaled(h, s)
	m := gocv.NewMat()
	defer m.Close()
	gocv.Resize(img, &m, image.Pt(sw, sh), 0, 0, gocv.InterpolationLinear)
	if m.Cols() != sw || m.Rows() != sh || !m.IsContinuous() {
		return nil, fmt.Errorf("face: resize to %dx%d failed", sw, sh)
	}
	px, err := m.DataPtrUint8()
	if err != nil {
		return nil, fmt.Errorf("face: %w", err)
	}
	sx, sy := float64(sw)/float64(w), float64(sh)/float64(h)
	var cands []candidate
	for _, y0 := range grid(sh) {
		for _, x0 := range grid(sw) {
			tw, th := min(Side, sw-x0), min(Side, sh-y0)
			d.fill(px, sw, x0, y0, tw, th)
			if err := d.sess.Run(); err != nil {
				return nil, fmt.Errorf("face: %w", err)
			}
			cands = d.decode(cands, tile{x0: x0, y0: y0, w: tw, h: th, sx: sx, sy: sy})
		}
	}
	return cands, nil
}

// fill writes the tile (x0, y0, tw, th) of a packed BGR picture stride w
// pixels wide into the input tensor, zero beyond the tile.
func (d *Detector) fill(px []byte, w, x0, y0, tw, th int) {
	in := d.in.GetData()
	clear(in)
	const plane = Side * Side
	for y := range th {
		row := px[((y0+y)*w+x0)*3:]
		o := y * Side
		for x := range tw {
			in[o+x] = float32(row[3*x])
			in[plane+o+x] = float32(row[3*x+1])
			in[2*plane+o+x] = float32(row[3*x+2])
		}
	}
}

// Close frees the session and its tensors; calling it again is a no-op.
func (d *Detector) Close() {
	if d == nil {
		return
	}
	if d.sess != nil {
		_ = d.sess.Destroy()
	}
	if d.in != nil {
		_ = d.in.Destroy()
	}
	for _, ts := range [][3]*ort.Tensor[float32]{d.cls, d.obj, d.box, d.kps} {
		for _, t := range ts {
			if t != nil {
				_ = t.Destroy()
			}
		}
	}
	d.sess, d.in = nil, nil
	d.cls, d.obj, d.box, d.kps = [3]*ort.Tensor[float32]{}, [3]*ort.Tensor[float32]{}, [3]*ort.Tensor[float32]{}, [3]*ort.Tensor[float32]{}
}
