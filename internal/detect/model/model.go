package model

import (
	"errors"
	"fmt"
	"image"
	"os"

	"gocv.io/x/gocv"
)

// modelError is a model problem; it matches ErrBadModel with errors.Is and
// unwraps to the underlying cause.
type modelError struct {
	path string
	err  error
}

func (e *modelError) Error() string {
	if e.path == "" {
		return "model: " + e.err.Error()
	}
	return "model " + e.path + ": " + e.err.Error()
}

func (e *modelError) Unwrap() error        { return e.err }
func (e *modelError) Is(target error) bool { return target == ErrBadModel }

// NewDetector loads and checks the model in cfg.ModelPath with the
// configured backend (ONNX Runtime by default, or OpenCV DNN). Before
// handing the file to the backend it verifies that the file is a well-formed ONNX protobuf
// whose input "images" has shape [1,3,InputSize,InputSize] and whose output
// has shape [1,N,5+len(Classes)]; it then runs one warm-up forward pass on a
// gray frame and checks the output shape. Model problems return an error
// wrapping ErrBadModel that names the file; OpenCV exceptions are caught and
// never abort the process.
func NewDetector(cfg Config) (*Detector, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.Backend == BackendONNXRuntime {
		if err := initORT(cfg.RuntimeLibrary); err != nil {
			return nil, fmt.Errorf("model: %w: %w", ErrRuntime, err)
		}
	}
	path := cfg.ModelPath
	bad := func(format string, args ...any) error {
		return &modelError{path: path, err: fmt.Errorf(format, args...)}
	}
	if path == "" {
		return nil, bad("no model path configured")
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, &modelError{path: path, err: err}
	}
	if !st.Mode().IsRegular() {
		return nil, bad("not a regular file")
	}
	if st.Size() == 0 {
		return nil, bad("empty file")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &modelError{path: path, err: err}
	}
	info, err := checkONNX(data)
	if err != nil {
		return nil, &modelError{path: path, err: err}
	}

	s := int64(cfg.InputSize)
	nc := len(cfg.Classes)
	cells := makeCells(cfg.InputSize)
	wantIn := []int64{1, 3, s, s}
	wantOut := []int64{1, int64(len(cells)), int64(5 + nc)}
	if err := checkIO(info, wantIn, wantOut); err != nil {
		return nil, &modelError{path: path, err: err}
	}

	net, err := loadEngine(cfg, data, info, wantIn, wantOut)
	if err != nil {
		return nil, &modelError{path: path, err: err}
	}
	d := &Detector{
		cfg:   cfg,
		net:   net,
		cells: cells,
		out:   make([]float32, len(cells)*(5+nc)),
	}
	if err := d.warmUp(wantOut); err != nil {
		d.net.close()
		return nil, &modelError{path: path, err: err}
	}
	return d, nil
}

// loadEngine builds the configured backend's network.
func loadEngine(cfg Config, data []byte, info *onnxInfo, wantIn, wantOut []int64) (engine, error) {
	if cfg.Backend == BackendOpenCV {
		if cfg.Threads > 0 {
			setNumThreads(cfg.Threads)
		}
		net, err := loadONNX(data)
		if err != nil {
			return nil, fmt.Errorf("OpenCV cannot load it: %w", err)
		}
		return net, nil
	}
	output := ""
	for _, v := range info.outputs {
		if dimsMatch(v.dims, wantOut) {
			output = v.name
			break
		}
	}
	net, err := loadORT(cfg.RuntimeLibrary, data, inputName, wantIn, output, wantOut, cfg.Threads)
	if err != nil {
		return nil, fmt.Errorf("ONNX Runtime cannot load it: %w", err)
	}
	return net, nil
}

// engine is a loaded network: forward runs it on a [1,3,S,S] float32 blob
// and copies its output into out (see cvNet.forward).
type engine interface {
	forward(blob gocv.Mat, out []float32) ([]int, error)
	close()
}

// checkIO verifies the declared graph input and output shapes.
func checkIO(info *onnxInfo, wantIn, wantOut []int64) error {
	var in *onnxValue
	var names []string
	for i := range info.inputs {
		v := &info.inputs[i]
		names = append(names, fmt.Sprintf("%q %s", v.name, shapeString(v.dims)))
		if v.name == inputName {
			in = v
		}
	}
	if in == nil {
		return fmt.Errorf("no input named %q (inputs: %v)", inputName, names)
	}
	if in.elemType != 0 && in.elemType != 1 {
		return fmt.Errorf("input %q has element type %d, want 1 (float32)", in.name, in.elemType)
	}
	if !dimsMatch(in.dims, wantIn) {
		return fmt.Errorf("input %q has shape %s, want %s", in.name, shapeString(in.dims), shapeString(wantIn))
	}
	names = names[:0]
	for _, v := range info.outputs {
		if dimsMatch(v.dims, wantOut) {
			return nil
		}
		names = append(names, fmt.Sprintf("%q %s", v.name, shapeString(v.dims)))
	}
	return fmt.Errorf("no output of shape %s (outputs: %v)", shapeString(wantOut), names)
}

// makeCells lists the output rows' grid cells for strides 8, 16 and 32.
func makeCells(size int) []cell {
	var cells []cell
	for _, s := range []int{8, 16, 32} {
		g := size / s
		for gy := 0; gy < g; gy++ {
			for gx := 0; gx < g; gx++ {
				cells = append(cells, cell{float32(gx), float32(gy), float32(s)})
			}
		}
	}
	return cells
}

// warmUp runs one forward pass on a uniform gray frame and checks the
// output shape.
func (d *Detector) warmUp(want []int64) error {
	s := d.cfg.InputSize
	gray := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(padValue, padValue, padValue, 0), s, s, gocv.MatTypeCV8UC3)
	defer gray.Close()
	blob := gocv.BlobFromImage(gray, 1.0, image.Pt(s, s), gocv.NewScalar(0, 0, 0, 0), false, false)
	defer blob.Close()
	shape, err := d.net.forward(blob, d.out)
	if err != nil && !errors.Is(err, errOutputTooBig) {
		return fmt.Errorf("warm-up forward pass failed: %w", err)
	}
	got := make([]int64, len(shape))
	for i, v := range shape {
		got[i] = int64(v)
	}
	if err != nil || !dimsMatch(got, want) {
		return fmt.Errorf("warm-up output has shape %s, want %s", shapeString(got), shapeString(want))
	}
	return nil
}
