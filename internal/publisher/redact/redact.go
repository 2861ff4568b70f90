// Package redact makes the redacted copy of a snapshot (issue 21, point
// 5): the faces and plates found in it made unreadable, every other pixel
// as it was, for answers to citizens and public notices. The original is
// never touched. It is pure gocv; what to hide (faces, plates) is found by
// the detect packages and passed in as boxes.
//
// Each box is pixelated to Blocks blocks across its longer side: every
// block is the mean of its pixels (OpenCV's area resampling), drawn as one
// flat colour. Pixelation rather than a Gaussian blur, because averaging
// into a few flat blocks throws the detail away for good (many pictures
// give the same blocks), where a blur of known kernel can be partly undone
// by deconvolution, and a blur weak enough to keep the outline of the
// region leaves large characters readable. At 6 blocks a face keeps its
// skin tone and hair colour but neither eyes, nose nor mouth (each falls
// within one block), and a plate of 7 characters gets fewer blocks than
// characters, so no character survives.
package redact

import (
	"errors"
	"fmt"
	"image"

	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/internal/media"
)

// Blocks is the number of blocks across the longer side of a box.
const Blocks = 6

// MaxSide is the largest picture width or height Blur accepts (the
// snapshots' JPEG limit).
const MaxSide = 65500

// Blur returns a copy of img in which every box, clipped to the picture,
// is pixelated to Blocks blocks across its longer side; empty boxes
// (reversed ones included, as image.Rectangle.Empty says) and boxes wholly
// outside are skipped. Pixels outside all boxes are
// byte-identical to img's, and img is not modified. Overlapping boxes are
// pixelated one after the other. img must be packed BGR, Width and Height
// in 1..MaxSide, len(BGR) == Width*Height*3: everything is checked before
// OpenCV sees it.
func Blur(img *media.Image, boxes []image.Rectangle) (*media.Image, error) {
	if err := check(img); err != nil {
		return nil, err
	}
	out := &media.Image{Width: img.Width, Height: img.Height, BGR: append([]byte(nil), img.BGR...)}
	bounds := image.Rect(0, 0, img.Width, img.Height)
	for _, b := range boxes {
		r := b.Intersect(bounds)
		if r.Empty() {
			continue
		}
		if err := pixelate(out, r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func check(img *media.Image) error {
	switch {
	case img == nil:
		return errors.New("redact: nil image")
	case img.Width <= 0 || img.Height <= 0 || img.Width > MaxSide || img.Height > MaxSide:
		return fmt.Errorf("redact: image size %dx%d out of range 1..%d", img.Width, img.Height, MaxSide)
	case len(img.BGR) != img.Width*img.Height*3:
		return fmt.Errorf("redact: %d bytes of BGR data for a %dx%d image, want %d",
			len(img.BGR), img.Width, img.Height, img.Width*img.Height*3)
	}
	return nil
}

// grid is the blocks across and down a w x h box: Blocks across the
// longer side (fewer in a box under 2*Blocks pixels, so that a block is
// at least 2 pixels long), as many of the same size across the shorter
// (at least 1).
func grid(w, h int) (bx, by int) {
	long := max(w, h)
	n := max(1, min(Blocks, long/2))
	bx = max(1, (w*n+long/2)/long)
	by = max(1, (h*n+long/2)/long)
	return bx, by
}

// pixelate replaces r (inside img, not empty) by its blocks. The box is
// copied into a Mat that OpenCV owns, so that no Go memory is held by C.
func pixelate(img *media.Image, r image.Rectangle) error {
	w, h := r.Dx(), r.Dy()
	roi := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC3)
	defer roi.Close()
	px, err := roi.DataPtrUint8()
	if err != nil {
		return fmt.Errorf("redact: %w", err)
	}
	stride := img.Width * 3
	for y := range h {
		o := (r.Min.Y+y)*stride + r.Min.X*3
		copy(px[y*w*3:(y+1)*w*3], img.BGR[o:o+w*3])
	}
	bx, by := grid(w, h)
	small := gocv.NewMat()
	defer small.Close()
	gocv.Resize(roi, &small, image.Pt(bx, by), 0, 0, gocv.InterpolationArea)
	big := gocv.NewMat()
	defer big.Close()
	gocv.Resize(small, &big, image.Pt(w, h), 0, 0, gocv.InterpolationNearestNeighbor)
	if big.Cols() != w || big.Rows() != h || big.Type() != gocv.MatTypeCV8UC3 || !big.IsContinuous() {
		return fmt.Errorf("redact: pixelating a %dx%d box failed", w, h)
	}
	res, err := big.DataPtrUint8()
	if err != nil {
		return fmt.Errorf("redact: %w", err)
	}
	for y := range h {
		o := (r.Min.Y+y)*stride + r.Min.X*3
		copy(img.BGR[o:o+w*3], res[y*w*3:(y+1)*w*3])
	}
	return nil
}
