package av

import (
	"testing"

	"github.com/patrol-city/patrol/internal/media"
)

// downscale averages src into a w x h picture (box filter), the reference
// for the decoder's scaled output.
func downscale(src *media.Image, w, h int) *media.Image {
	out := &media.Image{Width: w, Height: h, BGR: make([]byte, 3*w*h)}
	for y := 0; y < h; y++ {
		y0, y1 := y*src.Height/h, max((y+1)*src.Height/h, y*src.Height/h+1)
		for x := 0; x < w; x++ {
			x0, x1 := x*src.Width/w, max((x+1)*src.Width/w, x*src.Width/w+1)
			for c := 0; c < 3; c++ {
				sum, n := 0, 0
				for yy := y0; yy < y1; yy++ {
					for xx := x0; xx < x1; xx++ {
						sum += int(src.BGR[3*(yy*src.Width+xx)+c])
						n++
					}
				}
				out.BGR[3*(y*w+x)+c] = byte(sum / n)
			}
		}
	}
	return out
}

// TestSetMaxSize: scaled decoding keeps the aspect ratio, never enlarges,
// and gives the downscaled picture.
func TestSetMaxSize(t *testing.T) {
	tests := []struct {
		maxW, maxH, wantW, wantH int
	}{
		{160, 160, 160, 120}, // width-bound: 320x240 in 160x160
		{416, 100, 133, 100}, // height-bound
		{640, 480, 320, 240}, // larger than the picture: native size
		{0, 0, 320, 240},     // off
	}
	for _, codec := range codecs {
		aus, imgs := encodeN(t, codec, testW, testH, testGOP, testGOP)
		for _, tc := range tests {
			dec, err := NewDecoder(codec)
			if err != nil {
				t.Fatal(err)
			}
			dec.SetMaxSize(tc.maxW, tc.maxH)
			img, err := dec.Decode(aus[0].nalus)
			dec.Close()
			if err != nil || img == nil {
				t.Fatalf("%s %dx%d: %v, %v", codec, tc.maxW, tc.maxH, img, err)
			}
			if img.Width != tc.wantW || img.Height != tc.wantH || len(img.BGR) != 3*tc.wantW*tc.wantH {
				t.Errorf("%s in %dx%d: got %dx%d (%d bytes), want %dx%d", codec, tc.maxW, tc.maxH, img.Width, img.Height, len(img.BGR), tc.wantW, tc.wantH)
				continue
			}
			if mae := meanAbsErr(t, img, downscale(imgs[0], tc.wantW, tc.wantH)); mae >= maxMAE {
				t.Errorf("%s in %dx%d: mean abs error %.2f against the downscaled source", codec, tc.maxW, tc.maxH, mae)
			} else {
				t.Logf("%s in %dx%d: %dx%d, mean abs error %.2f", codec, tc.maxW, tc.maxH, img.Width, img.Height, mae)
			}
		}
	}
}
