// Package snapshot draws the tracked boxes and the zone over a decoded
// picture and encodes it as a JPEG (gocv) for a case's evidence.
package snapshot

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"

	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/internal/media"
)

// SnapshotQuality is the JPEG quality of snapshots (0-100).
const SnapshotQuality = 90

// MaxSide is the largest width or height Snapshot accepts: the JPEG
// format cannot hold more than 65535 pixels on a side.
const MaxSide = 65500

// maxLabelLen bounds the drawn label text, in bytes.
const maxLabelLen = 48

// DefaultBoxColor is the color of a Box whose Color is the zero value.
var DefaultBoxColor = color.RGBA{R: 255, G: 48, B: 48, A: 255}

// ZoneColor is the color of the zone polygon on annotated snapshots.
var ZoneColor = color.RGBA{R: 255, G: 215, A: 255}

// zoneAlpha is the opacity of the zone's fill; its outline is opaque.
const zoneAlpha = 0.25

// Box is one detection drawn on an annotated snapshot.
type Box struct {
	// Label is the class name drawn above the box; printable ASCII only
	// (other characters are drawn as '?'), cut to 48 bytes. May be empty.
	Label string
	// Score is the detection confidence, drawn with two decimals after the
	// label; a score that is not in (0, 1] is not drawn.
	Score float32
	// Rect is the box in pixel coordinates of the image; it is clipped to the
	// image, and a box that lies wholly outside is not drawn.
	Rect image.Rectangle
	// Color is the box and label background color (alpha ignored); the zero
	// value means DefaultBoxColor.
	Color color.RGBA
}

// Snapshot encodes img as a JPEG of quality SnapshotQuality. With no boxes the
// picture is clean (unchanged, and zone is ignored); otherwise each box is
// drawn with its label and score, and zone, a polygon in normalized picture
// coordinates (0..1, origin top left, at least 3 points; nil for none), is
// drawn as a translucent area with an opaque outline in ZoneColor. Zone
// coordinates outside 0..1 are clamped to the picture.
//
// img must be a packed BGR picture: Width and Height in 1..MaxSide
// and len(BGR) == Width*Height*3. img is not modified. All input is checked
// before OpenCV sees it, since OpenCV aborts the process on bad arguments.
func Encode(img *media.Image, boxes []Box, zone [][2]float64) ([]byte, error) {
	if err := checkImage(img); err != nil {
		return nil, err
	}
	var poly []image.Point
	if len(boxes) > 0 && zone != nil {
		var err error
		if poly, err = zonePixels(zone, img.Width, img.Height); err != nil {
			return nil, err
		}
	}
	src, err := gocv.NewMatFromBytes(img.Height, img.Width, gocv.MatTypeCV8UC3, img.BGR)
	if err != nil {
		return nil, fmt.Errorf("publisher: snapshot: %w", err)
	}
	defer src.Close()
	if len(boxes) == 0 {
		return encodeJPEG(src)
	}
	// src shares img.BGR: draw on a copy.
	mat := src.Clone()
	defer mat.Close()
	if poly != nil {
		drawZone(&mat, poly, img.Width, img.Height)
	}
	bounds := image.Rect(0, 0, img.Width, img.Height)
	for _, b := range boxes {
		drawBox(&mat, b, bounds)
	}
	return encodeJPEG(mat)
}

func checkImage(img *media.Image) error {
	switch {
	case img == nil:
		return errors.New("publisher: snapshot: nil image")
	case img.Width <= 0 || img.Height <= 0 || img.Width > MaxSide || img.Height > MaxSide:
		return fmt.Errorf("publisher: snapshot: image size %dx%d out of range", img.Width, img.Height)
	case len(img.BGR) != img.Width*img.Height*3:
		return fmt.Errorf("publisher: snapshot: %d bytes of BGR data for a %dx%d image, want %d",
			len(img.BGR), img.Width, img.Height, img.Width*img.Height*3)
	}
	return nil
}

// zonePixels converts a normalized polygon to pixel coordinates.
func zonePixels(zone [][2]float64, w, h int) ([]image.Point, error) {
	if len(zone) < 3 {
		return nil, fmt.Errorf("publisher: snapshot: zone has %d points, want at least 3", len(zone))
	}
	poly := make([]image.Point, len(zone))
	for i, p := range zone {
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
			return nil, fmt.Errorf("publisher: snapshot: zone point %d is not finite", i)
		}
		x, y := min(max(p[0], 0), 1), min(max(p[1], 0), 1)
		poly[i] = image.Pt(int(math.Round(x*float64(w-1))), int(math.Round(y*float64(h-1))))
	}
	return poly, nil
}

// strokeFor returns a line thickness that stays visible on large pictures.
func strokeFor(w, h int) int { return max(2, min(w, h)/300) }

func drawZone(mat *gocv.Mat, poly []image.Point, w, h int) {
	pv := gocv.NewPointsVectorFromPoints([][]image.Point{poly})
	defer pv.Close()
	overlay := mat.Clone()
	defer overlay.Close()
	gocv.FillPoly(&overlay, pv, ZoneColor)
	gocv.AddWeighted(overlay, zoneAlpha, *mat, 1-zoneAlpha, 0, mat)
	gocv.Polylines(mat, pv, true, ZoneColor, strokeFor(w, h))
}

func drawBox(mat *gocv.Mat, b Box, bounds image.Rectangle) {
	r := b.Rect.Canon().Intersect(bounds)
	if r.Empty() {
		return
	}
	c := b.Color
	if c == (color.RGBA{}) {
		c = DefaultBoxColor
	}
	stroke := strokeFor(bounds.Dx(), bounds.Dy())
	// Rectangle takes inclusive corners.
	gocv.Rectangle(mat, image.Rect(r.Min.X, r.Min.Y, r.Max.X-1, r.Max.Y-1), c, stroke)

	text := labelText(b)
	if text == "" {
		return
	}
	const font = gocv.FontHersheySimplex
	scale := max(0.5, float64(bounds.Dx())/1280)
	thick := max(1, stroke/2)
	size, base := gocv.GetTextSizeWithBaseline(text, font, scale, thick)
	pad := stroke
	// Label above the box, or inside its top when there is no room above.
	top := r.Min.Y - size.Y - base - 2*pad
	if top < 0 {
		top = r.Min.Y
	}
	// Shift the label left rather than past the right edge.
	left := max(0, min(r.Min.X, bounds.Max.X-size.X-2*pad))
	bg := image.Rect(left, top, left+size.X+2*pad, top+size.Y+base+2*pad).Intersect(bounds)
	if bg.Empty() {
		return
	}
	gocv.Rectangle(mat, image.Rect(bg.Min.X, bg.Min.Y, bg.Max.X-1, bg.Max.Y-1), c, -1)
	gocv.PutText(mat, text, image.Pt(left+pad, top+pad+size.Y), font, scale, textColor(c), thick)
}

// labelText is "label 0.87": printable ASCII, the score only when in (0, 1].
func labelText(b Box) string {
	label := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, strings.TrimSpace(b.Label))
	if len(label) > maxLabelLen {
		label = label[:maxLabelLen]
	}
	if b.Score > 0 && b.Score <= 1 {
		return strings.TrimSpace(fmt.Sprintf("%s %.2f", label, b.Score))
	}
	return label
}

// textColor is black or white, whichever reads better on bg.
func textColor(bg color.RGBA) color.RGBA {
	if 299*int(bg.R)+587*int(bg.G)+114*int(bg.B) > 128000 {
		return color.RGBA{A: 255}
	}
	return color.RGBA{R: 255, G: 255, B: 255, A: 255}
}

func encodeJPEG(mat gocv.Mat) ([]byte, error) {
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, mat, []int{gocv.IMWriteJpegQuality, SnapshotQuality})
	if err != nil {
		return nil, fmt.Errorf("publisher: snapshot: encode JPEG: %w", err)
	}
	defer buf.Close()
	if buf.Len() == 0 {
		return nil, errors.New("publisher: snapshot: JPEG encoder produced no data")
	}
	return append([]byte(nil), buf.GetBytes()...), nil
}

// Decode decodes a JPEG written by Encode back into a packed BGR picture
// (a worker restarted after a crash annotates the kept confirmation
// picture). Input that is not a JPEG of at most MaxSide per side is an
// error, never an OpenCV abort.
func Decode(jpg []byte) (*media.Image, error) {
	if len(jpg) < 4 || jpg[0] != 0xff || jpg[1] != 0xd8 {
		return nil, fmt.Errorf("publisher: snapshot: not a JPEG")
	}
	m, err := gocv.IMDecode(jpg, gocv.IMReadColor)
	if err != nil {
		return nil, fmt.Errorf("publisher: snapshot: %w", err)
	}
	defer m.Close()
	if m.Empty() || m.Cols() > MaxSide || m.Rows() > MaxSide || m.Type() != gocv.MatTypeCV8UC3 {
		return nil, fmt.Errorf("publisher: snapshot: undecodable or oversized JPEG")
	}
	buf, err := m.DataPtrUint8()
	if err != nil {
		return nil, fmt.Errorf("publisher: snapshot: %w", err)
	}
	return &media.Image{Width: m.Cols(), Height: m.Rows(), BGR: append([]byte(nil), buf...)}, nil
}
