package snapshot

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"os"
	"testing"

	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/internal/media"
)

// testImage is a w x h BGR gradient.
func testImage(w, h int) *media.Image {
	img := &media.Image{Width: w, Height: h, BGR: make([]byte, w*h*3)}
	for y := range h {
		for x := range w {
			i := (y*w + x) * 3
			img.BGR[i], img.BGR[i+1], img.BGR[i+2] = byte(x*255/w), byte(y*255/h), 90
		}
	}
	return img
}

// decodeJPEG decodes a snapshot and returns its BGR bytes, checking the size.
func decodeJPEG(t *testing.T, data []byte, w, h int) []byte {
	t.Helper()
	if !bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}) {
		t.Fatalf("not a JPEG: % x", data[:min(len(data), 8)])
	}
	m, err := gocv.IMDecode(data, gocv.IMReadColor)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Empty() || m.Cols() != w || m.Rows() != h {
		t.Fatalf("decoded %dx%d, want %dx%d", m.Cols(), m.Rows(), w, h)
	}
	return m.ToBytes()
}

// meanDiff is the mean absolute difference of two equal-size byte slices
// over the pixels within r of a w-wide BGR image.
func meanDiff(a, b []byte, w int, r image.Rectangle) float64 {
	var sum, n float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			for c := range 3 {
				i := (y*w+x)*3 + c
				sum += math.Abs(float64(a[i]) - float64(b[i]))
				n++
			}
		}
	}
	return sum / n
}

func TestSnapshot(t *testing.T) {
	const w, h = 320, 240
	img := testImage(w, h)
	orig := bytes.Clone(img.BGR)
	all := image.Rect(0, 0, w, h)
	zone := [][2]float64{{0.05, 0.6}, {0.6, 0.55}, {0.95, 0.95}, {0.1, 0.95}}
	boxes := []Box{
		{Label: "car", Score: 0.87, Rect: image.Rect(40, 60, 160, 140)},
		{Label: "person", Score: 0.5, Rect: image.Rect(200, 10, 260, 120), Color: color.RGBA{G: 200, B: 255, A: 255}},
		{Label: "ünïcode\x00", Score: float32(math.NaN()), Rect: image.Rect(300, 200, 400, 300)}, // clipped
		{Label: "outside", Rect: image.Rect(-1<<40, -1<<40, -1<<40+5, -1<<40+5)},
		{Rect: image.Rect(math.MaxInt-1, 0, math.MaxInt, 10)},
	}

	clean, err := Encode(img, nil, zone)
	if err != nil {
		t.Fatal(err)
	}
	cleanPix := decodeJPEG(t, clean, w, h)
	if d := meanDiff(cleanPix, orig, w, all); d > 3 {
		t.Errorf("clean snapshot differs from the image by %.2f on average", d)
	}
	if noZone, _ := Encode(img, []Box{}, nil); !bytes.Equal(noZone, clean) {
		t.Error("the zone was drawn on a clean snapshot")
	}

	annotated, err := Encode(img, boxes, zone)
	if err != nil {
		t.Fatal(err)
	}
	pix := decodeJPEG(t, annotated, w, h)
	if !bytes.Equal(img.BGR, orig) {
		t.Fatal("Snapshot modified the image")
	}
	if d := meanDiff(pix, cleanPix, w, all); d < 1 {
		t.Errorf("annotated snapshot hardly differs from the clean one (%.2f)", d)
	}
	// The left edge of the first box is drawn in DefaultBoxColor (BGR order).
	i := (100*w + 40) * 3
	if got := [3]byte{pix[i], pix[i+1], pix[i+2]}; absDiff(got[2], DefaultBoxColor.R) > 40 ||
		absDiff(got[1], DefaultBoxColor.G) > 40 || absDiff(got[0], DefaultBoxColor.B) > 40 {
		t.Errorf("box edge pixel BGR %v, want about %v", got, DefaultBoxColor)
	}
	// The zone is translucent: inside it the picture still shows, tinted.
	inZone := image.Rect(120, 190, 160, 220)
	if d := meanDiff(pix, cleanPix, w, inZone); d < 5 || d > 80 {
		t.Errorf("zone fill changed the picture by %.2f, want translucent", d)
	}
	// Far from any drawing the picture is unchanged.
	if d := meanDiff(pix, cleanPix, w, image.Rect(170, 20, 190, 100)); d > 3 {
		t.Errorf("untouched area differs by %.2f", d)
	}
	if dir := os.Getenv("PATROL_SNAPSHOT_OUT"); dir != "" { // for looking at it
		_ = os.WriteFile(dir+"/annotated.jpg", annotated, 0o644)
	}
}

func absDiff(a, b byte) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func TestSnapshotTiny(t *testing.T) {
	img := testImage(1, 1)
	data, err := Encode(img, []Box{{Label: "x", Score: 1, Rect: image.Rect(0, 0, 1, 1)}}, [][2]float64{{0, 0}, {1, 0}, {1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	decodeJPEG(t, data, 1, 1)
}

func TestSnapshotErrors(t *testing.T) {
	good := testImage(8, 6)
	box := []Box{{Label: "car", Rect: image.Rect(1, 1, 4, 4)}}
	for _, tc := range []struct {
		name  string
		img   *media.Image
		boxes []Box
		zone  [][2]float64
	}{
		{"nil", nil, nil, nil},
		{"zero width", &media.Image{Height: 6}, nil, nil},
		{"negative size", &media.Image{Width: -2, Height: -3, BGR: make([]byte, 18)}, nil, nil},
		{"short data", &media.Image{Width: 8, Height: 6, BGR: make([]byte, 8*6*3-1)}, nil, nil},
		{"long data", &media.Image{Width: 8, Height: 6, BGR: make([]byte, 8*6*3+3)}, nil, nil},
		{"grey data", &media.Image{Width: 8, Height: 6, BGR: make([]byte, 8*6)}, nil, nil},
		{"too large", &media.Image{Width: 70000, Height: 1, BGR: make([]byte, 70000*3)}, nil, nil},
		{"zone of 2 points", good, box, [][2]float64{{0, 0}, {1, 1}}},
		{"zone with NaN", good, box, [][2]float64{{0, 0}, {1, math.NaN()}, {0, 1}}},
		{"zone with Inf", good, box, [][2]float64{{0, 0}, {math.Inf(1), 0}, {0, 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if data, err := Encode(tc.img, tc.boxes, tc.zone); err == nil {
				t.Fatalf("no error, %d bytes", len(data))
			}
		})
	}
}
