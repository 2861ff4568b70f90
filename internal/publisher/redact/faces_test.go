package redact_test

import (
	"context"
	"image"
	"path/filepath"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/internal/detect/face"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher/redact"
	"github.com/patrol-city/patrol/internal/testkit/runtimes"
	"github.com/patrol-city/patrol/internal/testkit/testenv"
	"github.com/patrol-city/patrol/models"
)

// TestBlurFoundFaces is issue 21's redaction test: on images/street.png
// and images/bus.jpg the faces YuNet finds (internal/detect/face at its
// defaults) are pixelated in the copy, pixels outside them are unchanged,
// and the original is untouched. An external test package, so that redact
// itself imports no detector.
func TestBlurFoundFaces(t *testing.T) {
	f := runtimes.Fetcher(testenv.Mirror())
	modelPath, _, err := models.Pull(context.Background(), f, models.YuNet)
	if err != nil {
		t.Fatal(err)
	}
	lib, err := runtimes.ONNXRuntime()
	if err != nil {
		t.Fatal(err)
	}
	det, err := face.New(face.Config{ModelPath: modelPath, RuntimeLibrary: lib})
	if err != nil {
		t.Fatal(err)
	}
	defer det.Close()
	for _, tc := range []struct {
		name     string
		minFaces int
	}{{"street.png", 15}, {"bus.jpg", 2}} {
		mat := gocv.IMRead(filepath.Join(testenv.Mirror(), "testdata", "images", tc.name), gocv.IMReadColor)
		if mat.Empty() {
			t.Fatalf("%s: not readable", tc.name)
		}
		faces, err := det.Detect(mat)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		px, err := mat.DataPtrUint8()
		if err != nil {
			t.Fatal(err)
		}
		img := &media.Image{Width: mat.Cols(), Height: mat.Rows(), BGR: append([]byte(nil), px...)}
		_ = mat.Close()
		if len(faces) < tc.minFaces {
			t.Fatalf("%s: %d faces found, want at least %d", tc.name, len(faces), tc.minFaces)
		}
		boxes := make([]image.Rectangle, len(faces))
		for i, fc := range faces {
			boxes[i] = fc.Box
		}
		orig := append([]byte(nil), img.BGR...)
		start := time.Now()
		got, err := redact.Blur(img, boxes)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		t.Logf("%s: %d faces pixelated in %.2f ms", tc.name, len(boxes), float64(time.Since(start).Microseconds())/1000)
		redact.Check(t, orig, img, got, boxes)
	}
}
