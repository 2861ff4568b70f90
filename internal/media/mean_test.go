package media

import (
	"image"
	"testing"
)

func TestImageMean(t *testing.T) {
	img := &Image{Width: 4, Height: 2, BGR: make([]byte, 4*2*3)}
	for i := range img.BGR {
		img.BGR[i] = byte(i % 3 * 10) // B 0, G 10, R 20
	}
	copy(img.BGR[3*3:], []byte{90, 90, 90}) // pixel (3, 0)
	for _, tc := range []struct {
		name   string
		r      image.Rectangle
		sx, sy int
		want   [3]float32
	}{
		{"one pixel", image.Rect(3, 0, 4, 1), 1, 1, [3]float32{90, 90, 90}},
		{"whole picture", image.Rect(0, 0, 4, 2), 1, 1, [3]float32{90.0 / 8, (70 + 90) / 8.0, (140 + 90) / 8.0}},
		{"every second column skips it", image.Rect(0, 0, 4, 2), 2, 1, [3]float32{0, 10, 20}},
		{"clipped", image.Rect(2, -5, 40, 1), 0, 0, [3]float32{45, 50, 55}},
		{"outside", image.Rect(10, 10, 20, 20), 1, 1, [3]float32{}},
	} {
		if got := img.Mean(tc.r, tc.sx, tc.sy); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	short := &Image{Width: 4, Height: 2, BGR: make([]byte, 5)}
	if got := short.Mean(image.Rect(0, 0, 4, 2), 1, 1); got != [3]float32{} {
		t.Errorf("short buffer: %v", got)
	}
}
