package redact

import (
	"bytes"
	"image"
	"math/rand/v2"
	"testing"

	"github.com/patrol-city/patrol/internal/media"
)

// noise is a w x h picture of random pixels: every block's mean differs
// from almost every one of its pixels.
func noise(w, h int) *media.Image {
	rng := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	img := &media.Image{Width: w, Height: h, BGR: make([]byte, w*h*3)}
	for i := range img.BGR {
		img.BGR[i] = byte(rng.IntN(256))
	}
	return img
}

func pixel(img *media.Image, x, y int) [3]byte {
	o := (y*img.Width + x) * 3
	return [3]byte(img.BGR[o : o+3])
}

// Check compares a redacted copy with its original: the original is
// unchanged, pixels outside all boxes are identical, and inside each box
// most pixels changed and no more colours are left than its blocks
// (the colours of a box that overlaps another are not counted). The
// real-picture test of redact_test uses it too.
func Check(t *testing.T, orig []byte, img, got *media.Image, boxes []image.Rectangle) {
	t.Helper()
	if !bytes.Equal(orig, img.BGR) {
		t.Fatal("the original was modified")
	}
	if got == img || (len(got.BGR) > 0 && &got.BGR[0] == &img.BGR[0]) || got.Width != img.Width || got.Height != img.Height {
		t.Fatalf("not a copy of the same size: %dx%d", got.Width, got.Height)
	}
	bounds := image.Rect(0, 0, img.Width, img.Height)
	var clipped []image.Rectangle
	for _, b := range boxes {
		if r := b.Intersect(bounds); !r.Empty() {
			clipped = append(clipped, r)
		}
	}
	for y := range img.Height {
		for x := range img.Width {
			in := false
			for _, r := range clipped {
				in = in || image.Pt(x, y).In(r)
			}
			if !in && pixel(img, x, y) != pixel(got, x, y) {
				t.Fatalf("pixel (%d,%d) outside every box changed", x, y)
			}
		}
	}
	for i, r := range clipped {
		changed, colours := 0, map[[3]byte]bool{}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if pixel(img, x, y) != pixel(got, x, y) {
					changed++
				}
				colours[pixel(got, x, y)] = true
			}
		}
		if area := r.Dx() * r.Dy(); changed*2 < area {
			t.Errorf("box %v: %d of %d pixels changed", r, changed, area)
		}
		alone := true
		for j, o := range clipped {
			alone = alone && (i == j || !o.Overlaps(r))
		}
		if bx, by := grid(r.Dx(), r.Dy()); alone && len(colours) > bx*by {
			t.Errorf("box %v: %d colours left, want at most its %dx%d blocks", r, len(colours), bx, by)
		}
	}
}

// TestBlur pixelates boxes of synthetic pictures.
func TestBlur(t *testing.T) {
	for _, tc := range []struct {
		name  string
		w, h  int
		boxes []image.Rectangle
	}{
		{"one box", 64, 48, []image.Rectangle{image.Rect(10, 8, 40, 30)}},
		{"plate shaped", 200, 100, []image.Rectangle{image.Rect(20, 40, 160, 72)}},
		{"two apart", 64, 48, []image.Rectangle{image.Rect(0, 0, 12, 12), image.Rect(30, 30, 64, 48)}},
		{"overlapping", 64, 48, []image.Rectangle{image.Rect(5, 5, 30, 30), image.Rect(20, 20, 50, 40)}},
		{"partly outside", 64, 48, []image.Rectangle{image.Rect(-10, 30, 20, 80)}},
		{"wholly outside", 64, 48, []image.Rectangle{image.Rect(70, 0, 90, 10), image.Rect(-5, -5, 0, 0)}},
		{"empty and reversed", 64, 48, []image.Rectangle{{}, image.Rect(5, 5, 5, 20), {Min: image.Pt(30, 30), Max: image.Pt(10, 10)}}},
		{"whole picture", 33, 17, []image.Rectangle{image.Rect(0, 0, 33, 17)}},
		{"tiny boxes", 64, 48, []image.Rectangle{image.Rect(1, 1, 3, 3), image.Rect(10, 10, 13, 11), image.Rect(20, 20, 25, 40)}},
		{"one-pixel picture", 1, 1, []image.Rectangle{image.Rect(0, 0, 1, 1)}},
		{"no boxes", 16, 16, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := noise(tc.w, tc.h)
			orig := append([]byte(nil), img.BGR...)
			got, err := Blur(img, tc.boxes)
			if err != nil {
				t.Fatal(err)
			}
			if tc.name == "one-pixel picture" { // one pixel is its own mean
				if !bytes.Equal(got.BGR, orig) || !bytes.Equal(img.BGR, orig) {
					t.Error("a one-pixel picture changed")
				}
				return
			}
			Check(t, orig, img, got, tc.boxes)
		})
	}
}

// TestBlurBadInput: pictures that do not hold their size are errors.
func TestBlurBadInput(t *testing.T) {
	box := []image.Rectangle{image.Rect(0, 0, 4, 4)}
	for name, img := range map[string]*media.Image{
		"nil":        nil,
		"zero":       {},
		"negative":   {Width: -4, Height: -4, BGR: make([]byte, 48)},
		"short":      {Width: 4, Height: 4, BGR: make([]byte, 47)},
		"long":       {Width: 4, Height: 4, BGR: make([]byte, 49)},
		"gray-sized": {Width: 4, Height: 4, BGR: make([]byte, 16)},
		"too wide":   {Width: MaxSide + 1, Height: 1, BGR: make([]byte, (MaxSide+1)*3)},
	} {
		if _, err := Blur(img, box); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestGrid: Blocks across the longer side of a box, the blocks about
// square, at least one, and at least 2 pixels long.
func TestGrid(t *testing.T) {
	for _, tc := range []struct{ w, h, bx, by int }{
		{60, 60, Blocks, Blocks}, {200, 40, Blocks, 1}, {40, 200, 1, Blocks},
		{140, 32, Blocks, 1}, {30, 20, Blocks, 4}, {5, 7, 2, 3}, {2, 2, 1, 1}, {1, 1, 1, 1},
	} {
		if bx, by := grid(tc.w, tc.h); bx != tc.bx || by != tc.by {
			t.Errorf("grid(%d, %d) = %d, %d, want %d, %d", tc.w, tc.h, bx, by, tc.bx, tc.by)
		}
	}
}
