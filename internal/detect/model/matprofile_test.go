//go:build matprofile

package model

import (
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

// TestNoMatLeaks checks, with gocv's Mat profiler, that NewDetector, Detect
// (success and error paths) and Close free every Mat they create. Run with
// go test -tags matprofile ./detect/model.
func TestNoMatLeaks(t *testing.T) {
	before := gocv.MatProfile.Count()
	d, err := NewDetector(withRuntime(t, Config{ModelPath: modelPath(t)}))
	if err != nil {
		t.Fatal(err)
	}
	img := gocv.IMRead(testdataPath(t, "images/street.png"), gocv.IMReadColor)
	gray := gocv.NewMatWithSize(10, 10, gocv.MatTypeCV8UC1)
	for i := 0; i < 3; i++ {
		if _, err := d.Detect(img); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Detect(gray); err == nil {
			t.Fatal("gray accepted")
		}
	}
	img.Close()
	gray.Close()
	d.Close()
	if after := gocv.MatProfile.Count(); after != before {
		var b strings.Builder
		gocv.MatProfile.WriteTo(&b, 1)
		t.Fatalf("%d Mats leaked:\n%s", after-before, b.String())
	}
}
