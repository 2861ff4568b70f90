package plate

import (
	"context"
	"image"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/internal/testkit/runtimes"
	"github.com/patrol-city/patrol/internal/testkit/testenv"
	"github.com/patrol-city/patrol/models"
)

// reader pulls both models (like `patrol models pull`) and loads them.
func reader(t *testing.T) *Reader {
	t.Helper()
	f := runtimes.Fetcher(testenv.Mirror())
	rec, _, err := models.Pull(context.Background(), f, models.PPOCRRec)
	if err != nil {
		t.Fatal(err)
	}
	det, _, err := models.Pull(context.Background(), f, models.PPOCRDet)
	if err != nil {
		t.Fatal(err)
	}
	lib, err := runtimes.ONNXRuntime()
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(ReaderConfig{
		Recognizer: Config{ModelPath: rec, RuntimeLibrary: lib},
		Finder:     FinderConfig{ModelPath: det, RuntimeLibrary: lib},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// vehicleBoxes are the vehicle boxes of the labelled whole pictures: the
// kerb-side sedan of the 1080p street picture as the detector (YOLOX-Nano,
// `patrol plates`) gives it. Every other picture is read whole.
var vehicleBoxes = map[string]image.Rectangle{
	"street_suED51712.jpg": image.Rect(593, 335, 1887, 990),
}

// TestReadVehicles finds and reads the plates of the six labelled
// pictures of the shared test data through the whole reader (text
// detection, rectification, recognition, grammar): a smoke test,
// reported as "n of 6". A text read must equal its label.
func TestReadVehicles(t *testing.T) {
	r := reader(t)
	dir := filepath.Join(testenv.Mirror(), "testdata", "plates")
	labels := readLabels(t, dir)
	read := 0
	for _, l := range labels {
		img := gocv.IMRead(filepath.Join(dir, l.File), gocv.IMReadColor)
		if img.Empty() {
			t.Fatalf("%s: not readable", l.File)
		}
		box, ok := vehicleBoxes[l.File]
		if !ok {
			box = image.Rect(0, 0, img.Cols(), img.Rows())
		}
		got, err := r.ReadVehicle(img, box)
		img.Close()
		if err != nil {
			t.Fatalf("%s: %v", l.File, err)
		}
		t.Logf("%s: %q score %.2f box %v reason %q", l.File, got.Text, got.Score, got.Box, got.Reason)
		switch {
		case got.Text == l.Plate:
			read++
		case got.Text != "":
			t.Errorf("%s: read %s, but the label is %s: a wrong plate would be reported", l.File, got.Text, l.Plate)
		}
		if got.Text != "" && !got.Box.In(box) {
			t.Errorf("%s: plate box %v outside the vehicle's %v", l.File, got.Box, box)
		}
	}
	t.Logf("read %d of %d plates exactly; none wrong", read, len(labels))
	if len(labels) != 6 {
		t.Fatalf("%d plates in labels.json, want 6", len(labels))
	}
	// 6 of 6 at the introduction; one may flip on another CPU's floating
	// point (蒙B023H6 reads at 0.59): fewer is a regression.
	if read < 5 {
		t.Errorf("read %d of 6 plates exactly, want at least 5", read)
	}
}

// TestReaderReasons: pictures without a readable plate give a reason,
// not a text and not an error; bad input is an error.
func TestReaderReasons(t *testing.T) {
	r := reader(t)
	blank := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(128, 128, 128, 0), 400, 600, gocv.MatTypeCV8UC3)
	defer blank.Close()
	for _, tc := range []struct {
		name   string
		box    image.Rectangle
		reason string
	}{
		{"tiny vehicle", image.Rect(10, 10, 40, 30), ReasonTooSmall},
		{"no plate", image.Rect(0, 0, 600, 400), ReasonOccluded},
		{"outside the picture", image.Rect(700, 500, 900, 600), ReasonTooSmall},
	} {
		got, err := r.ReadVehicle(blank, tc.box)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got.Text != "" || got.Reason != tc.reason {
			t.Errorf("%s: %+v, want reason %q", tc.name, got, tc.reason)
		}
	}
	gray := gocv.NewMatWithSize(100, 100, gocv.MatTypeCV8U)
	defer gray.Close()
	if _, err := r.ReadVehicle(gray, image.Rect(0, 0, 100, 100)); err == nil {
		t.Error("a gray picture read")
	}
	if _, err := r.find.Find(gocv.NewMat()); err == nil {
		t.Error("an empty picture searched")
	}
}
