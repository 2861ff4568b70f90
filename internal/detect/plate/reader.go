package plate

import (
	"errors"
	"fmt"
	"image"
	"sync"

	"gocv.io/x/gocv"
)

// Why a vehicle's plate is not reported (Result.Reason).
const (
	// ReasonTooSmall: the vehicle or its plate is too few pixels to read.
	ReasonTooSmall = "too small"
	// ReasonOccluded: no plate-shaped text region in the vehicle's box.
	ReasonOccluded = "occluded"
	// ReasonUnreadable: plate-shaped regions, but no text that passes the
	// plate grammar (or, over several pictures, reads that disagree).
	ReasonUnreadable = "unreadable"
)

// Reader defaults.
const (
	// DefaultMinVehicleWidth is the narrowest vehicle box searched, in
	// pixels of the picture read.
	DefaultMinVehicleWidth = 64
	// DefaultMinPlateHeight is the lowest rectified plate read, in pixels
	// (characters of a lower plate are a few pixels wide).
	DefaultMinPlateHeight = 10
)

// vehicleMargin widens a vehicle's box on each side, in percent of its
// width and height, before the plate is searched.
const vehicleMargin = 5

// Plate-shaped: width over height of a rectified region. Single-row
// plates are 3.1-3.4, two-row plates 2; the unclipped regions of plates
// seen at an angle come out lower.
const (
	minAspect = 1.3
	maxAspect = 7
	// twoRowAspect: below it a region that does not read as one row is
	// read again as two (a yellow two-row plate).
	twoRowAspect = 2.6
)

// ReaderConfig configures a Reader.
type ReaderConfig struct {
	// Recognizer is the text recogniser's configuration (required).
	Recognizer Config
	// Finder is the text detector's configuration (required).
	Finder FinderConfig
	// MinVehicleWidth (default DefaultMinVehicleWidth) and MinPlateHeight
	// (default DefaultMinPlateHeight) are the sizes below which a plate
	// is "too small".
	MinVehicleWidth, MinPlateHeight int
}

// Result is a vehicle's plate as read from one picture.
type Result struct {
	// Text is the plate, passing Check; "" when not read.
	Text string
	// Score is the recogniser's smallest character probability.
	Score float64
	// Quad is the plate's region in the picture's pixels (zero when no
	// plate-shaped region was found); Box its bounds.
	Quad Quad
	Box  image.Rectangle
	// Reason says why Text is empty (ReasonTooSmall, ReasonOccluded,
	// ReasonUnreadable); "" when read.
	Reason string
}

// Reader finds and reads the plate in a vehicle's box: text regions from
// the Finder, kept when plate-shaped, rectified, read by the Recognizer,
// held to the grammar. ReadVehicle is not safe for concurrent use;
// ReadPicture and Regions are (serialised). Close frees it.
type Reader struct {
	mu   sync.Mutex // serialises ReadPicture and Regions
	cfg  ReaderConfig
	find *Finder
	rec  *Recognizer
}

// NewReader loads both models.
func NewReader(cfg ReaderConfig) (*Reader, error) {
	if cfg.MinVehicleWidth <= 0 {
		cfg.MinVehicleWidth = DefaultMinVehicleWidth
	}
	if cfg.MinPlateHeight <= 0 {
		cfg.MinPlateHeight = DefaultMinPlateHeight
	}
	f, err := NewFinder(cfg.Finder)
	if err != nil {
		return nil, err
	}
	r, err := NewRecognizer(cfg.Recognizer)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Reader{cfg: cfg, find: f, rec: r}, nil
}

// ReadVehicle reads the plate of the vehicle in box (img's pixels; img
// BGR). A plate that cannot be read is a Result with a Reason, not an
// error; errors are bad input or a failed model run.
func (r *Reader) ReadVehicle(img gocv.Mat, box image.Rectangle) (Result, error) {
	if r == nil || r.find == nil {
		return Result{}, errors.New("plate: reader closed")
	}
	if img.Empty() || img.Channels() != 3 {
		return Result{}, fmt.Errorf("plate: picture %dx%d with %d channels: want BGR", img.Cols(), img.Rows(), img.Channels())
	}
	box = box.Intersect(image.Rect(0, 0, img.Cols(), img.Rows()))
	if box.Dx() < r.cfg.MinVehicleWidth || box.Dy() < 8 {
		return Result{Reason: ReasonTooSmall}, nil
	}
	// A plate sits at the vehicle's edge, and a detector's box may cut
	// it: a region that touches the crop's border loses a character.
	box = image.Rect(box.Min.X-box.Dx()*vehicleMargin/100, box.Min.Y-box.Dy()*vehicleMargin/100,
		box.Max.X+box.Dx()*vehicleMargin/100, box.Max.Y+box.Dy()*vehicleMargin/100).Intersect(image.Rect(0, 0, img.Cols(), img.Rows()))
	crop := img.Region(box)
	defer crop.Close()
	regions, err := r.find.Find(crop)
	if err != nil {
		return Result{}, err
	}
	res := Result{Reason: ReasonOccluded}
	for _, rg := range regions {
		got, q, reason, err := r.readAny(crop, rg)
		if err != nil {
			return Result{}, err
		}
		if got.Text == "" {
			// The region may be cut short (the text detector's map of a
			// whole vehicle is coarse): look again around it, closer.
			fine, fq, fr, err := r.refine(crop, rg.Quad)
			if err != nil {
				return Result{}, err
			}
			if fine.Text != "" || reason == "" {
				got, q, reason = fine, fq, fr
			}
		}
		switch {
		case got.Text != "":
			if res.Text == "" || got.Score > res.Score {
				q = q.Translate(box.Min)
				res = Result{Text: got.Text, Score: got.Score, Quad: q, Box: q.Bounds().Intersect(box)}
			}
		case res.Text == "" && reason == ReasonUnreadable:
			res.Reason = reason
		case res.Text == "" && reason == ReasonTooSmall && res.Reason == ReasonOccluded:
			res.Reason = reason
		}
	}
	return res, nil
}

// readAny reads a region's quadrilaterals in turn until one reads; reason
// is "" when none is plate-shaped.
func (r *Reader) readAny(crop gocv.Mat, rg Region) (got Reading, q Quad, reason string, err error) {
	for _, q := range append([]Quad{rg.Quad}, rg.Alternatives...) {
		asp := q.Width() / q.Height()
		if asp < minAspect || asp > maxAspect {
			continue
		}
		if q.Height() < float64(r.cfg.MinPlateHeight) {
			if reason == "" {
				reason = ReasonTooSmall
			}
			continue
		}
		got, err := r.readRegion(crop, q, asp)
		if err != nil || got.Text != "" {
			return got, q, "", err
		}
		reason = ReasonUnreadable
	}
	return Reading{}, Quad{}, reason, nil
}

// margins are the horizontal margins a region is read with (a fraction
// of its width on each side): the recogniser drops a character that
// touches the crop's edge, and which margin suits a plate varies by a
// pixel, so a region's text is reported only when both reads agree.
var margins = [2]float64{0.03, 0.08}

// readRegion reads one region at each of the margins; Text is "" unless
// the reads agree.
func (r *Reader) readRegion(img gocv.Mat, q Quad, aspect float64) (Reading, error) {
	var reads [len(margins)]Reading
	for i, m := range margins {
		var err error
		if reads[i], err = r.readOnce(img, q.widen(m), aspect); err != nil {
			return Reading{}, err
		}
		if reads[i].Text == "" || reads[i].Text != reads[0].Text {
			return Reading{}, nil
		}
	}
	out := reads[0]
	for _, rd := range reads[1:] {
		out.Score = min(out.Score, rd.Score)
	}
	return out, nil
}

// readOnce rectifies and reads one region: as one row, and when that
// breaks the grammar and the region is not much wider than high, as two
// rows (top 40 %, the rest). Text is "" unless it passes Check.
func (r *Reader) readOnce(img gocv.Mat, q Quad, aspect float64) (Reading, error) {
	plate, ok := q.warp(img)
	if !ok {
		return Reading{}, nil
	}
	defer plate.Close()
	one, err := r.rec.Read(plate)
	if err != nil {
		return Reading{}, err
	}
	colour := colourOf(plate)
	if Check(one.Text) == nil && fitsColour(one.Text, colour) {
		return one, nil
	}
	if aspect < twoRowAspect && plate.Rows() >= 2*r.cfg.MinPlateHeight {
		cut := plate.Rows() * 2 / 5
		top := plate.Region(image.Rect(0, 0, plate.Cols(), cut))
		bottom := plate.Region(image.Rect(0, cut, plate.Cols(), plate.Rows()))
		defer top.Close()
		defer bottom.Close()
		a, err := r.rec.Read(top)
		if err != nil {
			return Reading{}, err
		}
		b, err := r.rec.Read(bottom)
		if err != nil {
			return Reading{}, err
		}
		if two := (Reading{Text: a.Text + b.Text, Score: min(a.Score, b.Score)}); Check(two.Text) == nil && fitsColour(two.Text, colour) {
			return two, nil
		}
	}
	return Reading{}, nil
}

// Close frees both models; calling it again is a no-op.
func (r *Reader) Close() {
	if r == nil {
		return
	}
	r.find.Close()
	r.rec.Close()
	r.find, r.rec = nil, nil
}
