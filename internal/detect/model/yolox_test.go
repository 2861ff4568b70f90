package model

import (
	"encoding/json"
	"errors"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/patrol-city/patrol/internal/detect"
	"gocv.io/x/gocv"
)

// darknetToCOCO maps the darknet spelling in objects.json to detect.COCOClasses.
var darknetToCOCO = map[string]string{
	"motorbike": "motorcycle", "aeroplane": "airplane", "sofa": "couch",
	"pottedplant": "potted plant", "diningtable": "dining table", "tvmonitor": "tv",
}

// refObject is one reference detection from testdata/objects.json.
type refObject struct {
	Image string  `json:"image"`
	Label string  `json:"label"`
	Score float32 `json:"score"`
	Box   [4]int  `json:"box"` // x, y, w, h
}

func loadRefObjects(t *testing.T) []refObject {
	t.Helper()
	data, err := os.ReadFile(testdataPath(t, "objects.json"))
	if err != nil {
		t.Fatal(err)
	}
	var objs []refObject
	if err := json.Unmarshal(data, &objs); err != nil {
		t.Fatalf("objects.json: %v", err)
	}
	for i := range objs {
		if l, ok := darknetToCOCO[objs[i].Label]; ok {
			objs[i].Label = l
		}
	}
	return objs
}

func newTestDetector(t testing.TB) *Detector {
	t.Helper()
	d, err := NewDetector(withRuntime(t, Config{ModelPath: modelPath(t)}))
	if err != nil {
		t.Fatalf("NewDetector: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func detectFile(t testing.TB, d *Detector, rel string) []detect.Detection {
	t.Helper()
	img := gocv.IMRead(testdataPath(t, rel), gocv.IMReadColor)
	defer img.Close()
	if img.Empty() {
		t.Fatalf("cannot read %s", rel)
	}
	dets, err := d.Detect(img)
	if err != nil {
		t.Fatalf("Detect(%s): %v", rel, err)
	}
	return dets
}

// bestMatch returns the detection with label that overlaps box most.
func bestMatch(dets []detect.Detection, label string, box image.Rectangle) (detect.Detection, float64) {
	var best detect.Detection
	bestIoU := -1.0
	for _, d := range dets {
		if d.Label == label {
			if iou := detect.IoU(d.Box, box); iou > bestIoU {
				best, bestIoU = d, iou
			}
		}
	}
	return best, bestIoU
}

func TestDetectKnownObjects(t *testing.T) {
	d := newTestDetector(t)
	refs := loadRefObjects(t)
	tests := []struct {
		image    string
		minScore float32 // check reference objects scored at least this
		want     map[string]float32
	}{
		// The facts from models/SOURCES.md.
		{"images/dog.jpg", 0.3, map[string]float32{"car": 0.80, "bicycle": 0.80, "dog": 0.86}},
		// RGBA PNG; IMReadColor drops alpha. The taxi is the 0.88 car.
		{"images/street.png", 0.5, map[string]float32{"car": 0.88, "person": 0.79}},
		{"images/bus.jpg", 0.5, map[string]float32{"bus": 0.90, "person": 0.86}},
		{"images/person.jpg", 0.5, map[string]float32{"person": 0.88, "dog": 0.87, "horse": 0.87}},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.image), func(t *testing.T) {
			dets := detectFile(t, d, tc.image)
			for label, score := range tc.want {
				found := false
				for _, det := range dets {
					if det.Label == label && math.Abs(float64(det.Score-score)) <= 0.05 {
						found = true
					}
				}
				if !found {
					t.Errorf("no %s with score %.2f±0.05 in %v", label, score, dets)
				}
			}
			n := 0
			for _, ref := range refs {
				if ref.Image != tc.image || ref.Score < tc.minScore {
					continue
				}
				n++
				box := image.Rect(ref.Box[0], ref.Box[1], ref.Box[0]+ref.Box[2], ref.Box[1]+ref.Box[3])
				got, iou := bestMatch(dets, ref.Label, box)
				if iou <= 0.7 {
					t.Errorf("%s %v: best match %v has detect.IoU %.2f, want > 0.7", ref.Label, box, got, iou)
					continue
				}
				if diff := math.Abs(float64(got.Score - ref.Score)); diff > 0.05 {
					t.Errorf("%s %v: score %.2f, want %.2f±0.05", ref.Label, box, got.Score, ref.Score)
				}
			}
			if n == 0 {
				t.Fatalf("no reference objects for %s", tc.image)
			}
			for i, det := range dets {
				if det.Score < DefaultScoreThreshold || det.Box.Empty() || det.Label != detect.COCOClasses[det.Class] {
					t.Errorf("bad detection %+v", det)
				}
				if i > 0 && det.Score > dets[i-1].Score {
					t.Errorf("detections not sorted by score at %d", i)
				}
			}
		})
	}
}

func TestDetectLetterboxShapes(t *testing.T) {
	// The dog must be found at the same place however the frame is padded:
	// tall, wide and tiny frames exercise both letterbox directions.
	d := newTestDetector(t)
	src := gocv.IMRead(testdataPath(t, "images/dog.jpg"), gocv.IMReadColor)
	defer src.Close()
	tests := []struct {
		name     string
		top, rgt int // black border added at top and right
	}{
		{"as is", 0, 0},
		{"tall", 600, 0},
		{"wide", 0, 900},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := gocv.NewMat()
			defer img.Close()
			gocv.CopyMakeBorder(src, &img, tc.top, 0, 0, tc.rgt, gocv.BorderConstant, colorBlack)
			dets, err := d.Detect(img)
			if err != nil {
				t.Fatal(err)
			}
			want := image.Rect(132, 206+tc.top, 325, 543+tc.top)
			if got, iou := bestMatch(dets, "dog", want); iou < 0.7 {
				t.Errorf("dog: best %v detect.IoU %.2f with %v", got, iou, want)
			}
		})
	}
	t.Run("tiny", func(t *testing.T) {
		img := gocv.NewMatWithSize(1, 1, gocv.MatTypeCV8UC3)
		defer img.Close()
		if _, err := d.Detect(img); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDetectBadInput(t *testing.T) {
	d := newTestDetector(t)
	tests := []struct {
		name string
		mat  func() gocv.Mat
	}{
		{"empty", gocv.NewMat},
		{"gray", func() gocv.Mat { return gocv.NewMatWithSize(100, 100, gocv.MatTypeCV8UC1) }},
		{"bgra", func() gocv.Mat { return gocv.NewMatWithSize(100, 100, gocv.MatTypeCV8UC4) }},
		{"float", func() gocv.Mat { return gocv.NewMatWithSize(100, 100, gocv.MatTypeCV32FC3) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.mat()
			defer m.Close()
			if dets, err := d.Detect(m); err == nil {
				t.Fatalf("Detect accepted %s Mat: %v", tc.name, dets)
			}
		})
	}
	t.Run("closed", func(t *testing.T) {
		d2 := newTestDetector(t)
		d2.Close()
		d2.Close()
		m := gocv.NewMatWithSize(10, 10, gocv.MatTypeCV8UC3)
		defer m.Close()
		if _, err := d2.Detect(m); !errors.Is(err, ErrClosed) {
			t.Fatalf("Detect after Close: %v, want ErrClosed", err)
		}
	})
}
