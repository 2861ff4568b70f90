package plate

import (
	"context"
	"image"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/testkit/runtimes"
	"github.com/patrol-city/patrol/internal/testkit/testenv"
)

// reader pulls both models (like `patrol models pull`) and loads them.
func reader(t *testing.T) *Reader {
	t.Helper()
	lib, err := runtimes.ONNXRuntime()
	if err != nil {
		t.Fatal(err)
	}
	r, err := Pull(context.Background(), runtimes.Fetcher(testenv.Mirror()), lib)
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

// TestPlatesToBlur: the plate search over a whole picture finds the
// sedan's plate and the van's behind the motorbike (its vehicle is hardly
// detected), by tile, at the picture's own resolution.
func TestPlatesToBlur(t *testing.T) {
	r := reader(t)
	img := gocv.IMRead(filepath.Join(testenv.Mirror(), "testdata", "plates", "street_suED51712.jpg"), gocv.IMReadColor)
	defer img.Close()
	px, err := img.DataPtrUint8()
	if err != nil {
		t.Fatal(err)
	}
	found, err := r.Plates(&media.Image{Width: img.Cols(), Height: img.Rows(), BGR: px})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d plate-coloured regions: %v", len(found), found)
	for name, want := range map[string]image.Rectangle{
		"the sedan's plate": image.Rect(1755, 751, 1860, 844),
		"the van's plate":   image.Rect(280, 407, 331, 425),
	} {
		covered := 0
		for y := want.Min.Y; y < want.Max.Y; y++ {
			for x := want.Min.X; x < want.Max.X; x++ {
				for _, f := range found {
					if image.Pt(x, y).In(f) {
						covered++
						break
					}
				}
			}
		}
		if covered*10 < want.Dx()*want.Dy()*8 {
			t.Errorf("%s %v: %d of its %d pixels would be blurred, want 80 %%", name, want, covered, want.Dx()*want.Dy())
		}
	}
	if got := tiles(1920, 1080); len(got) != 4 || got[3].Max != image.Pt(1920, 1080) {
		t.Errorf("tiles of 1080p: %v", got)
	}
}
