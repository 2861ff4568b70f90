package model

import (
	"errors"
	"image"
	"image/color"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/patrol-city/patrol/internal/detect"
	"gocv.io/x/gocv"
)

func TestNewDetectorBadModel(t *testing.T) {
	real, err := os.ReadFile(modelPath(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	junk := make([]byte, 4096)
	rand.New(rand.NewSource(42)).Read(junk)

	tests := []struct {
		name    string
		path    string
		classes []string
		wantErr string
		is      error
		// wantORT replaces wantErr for the ONNX Runtime backend when set.
		wantORT string
	}{
		{"nonexistent", filepath.Join(dir, "missing.onnx"), nil, "no such file", fs.ErrNotExist, ""},
		{"directory", dir, nil, "not a regular file", nil, ""},
		{"empty", write("empty.onnx", nil), nil, "empty file", nil, ""},
		{"random bytes", write("random.onnx", junk), nil, "protobuf", nil, ""},
		{"truncated", write("truncated.onnx", real[:len(real)/2]), nil, "truncated protobuf at byte", nil, ""},
		{"truncated header", write("head.onnx", real[:20]), nil, "truncated protobuf at byte", nil, ""},
		{"other input size", write("yolox640.onnx", tinyModel("Identity", []int64{1, 3, 640, 640}, []int64{1, 8400, 85})),
			nil, `input "images" has shape [1,3,640,640], want [1,3,416,416]`, nil, ""},
		{"other output", write("out.onnx", tinyModel("Identity", yoloxIn, []int64{1, 3549, 6})),
			nil, "no output of shape [1,3549,85]", nil, ""},
		{"wrong class count", write("copy.onnx", real), []string{"a", "b"}, "no output of shape [1,3549,7]", nil, ""},
		// Declares YOLOX shapes but computes something else: caught by the
		// warm-up forward pass.
		{"identity network", write("identity.onnx", tinyModel("Identity", yoloxIn, yoloxOut)),
			nil, "warm-up output has shape [1,3,416,416], want [1,3549,85]", nil, "warm-up forward pass failed"},
		// An operator OpenCV does not know: OpenCV throws while importing,
		// which must come back as an error instead of aborting.
		{"unknown operator", write("unknown.onnx", tinyModel("NoSuchOperator", yoloxIn, yoloxOut)),
			nil, "OpenCV cannot load it", nil, "ONNX Runtime cannot load it"},
	}
	lib := runtimeLib(t)
	for _, backend := range []string{BackendONNXRuntime, BackendOpenCV} {
		for _, tc := range tests {
			if backend == BackendONNXRuntime && tc.wantORT != "" {
				tc.wantErr = tc.wantORT
			}
			t.Run(backend+"/"+tc.name, func(t *testing.T) {
				badModel(t, Config{ModelPath: tc.path, Classes: tc.classes, Backend: backend, RuntimeLibrary: lib}, tc.is, tc.wantErr)
			})
		}
	}
}

// badModel checks that NewDetector refuses cfg's model with an error that
// wraps ErrBadModel (and is, when set), names the file and contains want.
func badModel(t *testing.T, cfg Config, is error, want string) {
	t.Helper()
	d, err := NewDetector(cfg)
	if err == nil {
		d.Close()
		t.Fatalf("NewDetector(%s) succeeded", cfg.ModelPath)
	}
	t.Logf("error: %v", err)
	if !errors.Is(err, ErrBadModel) {
		t.Errorf("error %v does not wrap ErrBadModel", err)
	}
	if is != nil && !errors.Is(err, is) {
		t.Errorf("error %v does not wrap %v", err, is)
	}
	if !strings.HasPrefix(err.Error(), "model "+cfg.ModelPath+": ") {
		t.Errorf("error %q does not start with the file name", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}

func TestNewDetectorBadConfig(t *testing.T) {
	path := modelPath(t)
	tests := []Config{
		{ModelPath: path, InputSize: 100},
		{ModelPath: path, ScoreThreshold: 1.5},
		{ModelPath: path, NMSThreshold: -0.1},
		{ModelPath: path, Threads: -1, RuntimeLibrary: "x.so"},
		{ModelPath: path, Backend: "tensorrt"},
		{ModelPath: path}, // onnxruntime without its library
	}
	for _, cfg := range tests {
		d, err := NewDetector(cfg)
		if err == nil {
			d.Close()
			t.Errorf("NewDetector(%+v) succeeded", cfg)
		} else if errors.Is(err, ErrBadModel) {
			t.Errorf("config error %v wraps ErrBadModel", err)
		}
	}
	if _, err := NewDetector(Config{RuntimeLibrary: runtimeLib(t)}); !errors.Is(err, ErrBadModel) {
		t.Errorf("empty ModelPath: %v, want ErrBadModel", err)
	}
}

func TestDetectorThreads(t *testing.T) {
	d, err := NewDetector(withRuntime(t, Config{ModelPath: modelPath(t), Threads: runtime.NumCPU()}))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, iou := bestMatch(detectFile(t, d, "images/dog.jpg"), "dog", image.Rect(132, 206, 325, 543)); iou < 0.7 {
		t.Errorf("dog detect.IoU %.2f", iou)
	}
}

func TestCOCOClasses(t *testing.T) {
	if len(detect.COCOClasses) != 80 {
		t.Fatalf("%d classes", len(detect.COCOClasses))
	}
	for i, want := range map[int]string{0: "person", 2: "car", 3: "motorcycle", 4: "airplane", 5: "bus",
		7: "truck", 16: "dog", 57: "couch", 58: "potted plant", 60: "dining table", 62: "tv", 79: "toothbrush"} {
		if detect.COCOClasses[i] != want {
			t.Errorf("COCOClasses[%d] = %q, want %q", i, detect.COCOClasses[i], want)
		}
	}
}

var colorBlack = color.RGBA{}

func BenchmarkDetect(b *testing.B) {
	d := newTestDetector(b)
	img := gocv.IMRead(testdataPath(b, "images/dog.jpg"), gocv.IMReadColor)
	defer img.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.Detect(img); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/inference")
}
