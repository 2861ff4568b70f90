package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"os"
	"time"

	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/detect/plate"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/pipeline"
	"github.com/patrol-city/patrol/internal/worker"
	"github.com/patrol-city/patrol/models"
	"github.com/patrol-city/patrol/models/assets"
)

// plateLine is one vehicle of `patrol plates`, as printed with -json.
type plateLine struct {
	File string `json:"file"`
	// Class is the detector's class, or "picture" when no vehicle was
	// found and the whole picture was read.
	Class string  `json:"class"`
	Score float64 `json:"score"`
	// Box is the vehicle's box in the picture's pixels: x, y, w, h.
	Box [4]int `json:"box"`
	// Plate is the text read (nil: not read; Reason says why).
	Plate      *string `json:"plate"`
	Reason     string  `json:"reason,omitempty"`
	PlateScore float64 `json:"plate_score"`
	// PlateBox is the plate's box (x, y, w, h; absent when not read).
	PlateBox *[4]int `json:"plate_box,omitempty"`
	// MS is the plate reader's time for this vehicle, in milliseconds.
	MS float64 `json:"ms"`
}

// vehicleClasses are the detector classes `patrol plates` reads.
var vehicleClasses = map[string]bool{"car": true, "truck": true, "bus": true, "motorcycle": true}

// cmdPlates reads the vehicles and plates of still pictures: for an
// operator checking whether a camera's angle and resolution give readable
// plates.
func cmdPlates(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("plates", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print one JSON object per vehicle instead of a table line")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: patrol plates [-json] FILE...\n\nReads the vehicles (YOLOX) and their licence plates (PP-OCRv6) in still pictures, at full resolution; a picture without a vehicle is read whole.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("plates: no picture given")
	}
	cfg := &config.Config{}
	cfg.ApplyDefaults()
	cfg.Model.Workers = 1
	fetcher := assets.DefaultFetcher()
	dets, _, closeDets, err := worker.Detectors(ctx, cfg, fetcher)
	if err != nil {
		return err
	}
	defer closeDets()
	reader, err := newPlateReader(ctx, fetcher)
	if err != nil {
		return err
	}
	defer reader.Close()
	for _, file := range fs.Args() {
		if err := readPlates(os.Stdout, file, dets[0], reader, *asJSON); err != nil {
			return err
		}
	}
	return nil
}

// newPlateReader pulls the plate models and ONNX Runtime and loads them.
func newPlateReader(ctx context.Context, f *assets.Fetcher) (*plate.Reader, error) {
	lib, _, err := models.PullRuntime(ctx, f, models.ONNXRuntime)
	if err != nil {
		return nil, err
	}
	return plate.Pull(ctx, f, lib)
}

// readPlates reads one picture and prints a line per vehicle.
func readPlates(out io.Writer, file string, det pipeline.ObjectDetector, r *plate.Reader, asJSON bool) error {
	img := gocv.IMRead(file, gocv.IMReadColor)
	if img.Empty() {
		return fmt.Errorf("plates: %s: not a picture OpenCV can read", file)
	}
	defer img.Close()
	px, err := img.DataPtrUint8()
	if err != nil || img.Cols() < 8 || img.Rows() < 8 {
		return fmt.Errorf("plates: %s: unusable picture (%dx%d)", file, img.Cols(), img.Rows())
	}
	pic := &media.Image{Width: img.Cols(), Height: img.Rows(), BGR: px}
	found, err := det.DetectImage(pic)
	if err != nil {
		return fmt.Errorf("plates: %s: %w", file, err)
	}
	var lines []plateLine
	for _, d := range found {
		if vehicleClasses[d.Label] {
			lines = append(lines, plateLine{File: file, Class: d.Label, Score: float64(d.Score), Box: xywh(d.Box)})
		}
	}
	if len(lines) == 0 {
		lines = append(lines, plateLine{File: file, Class: "picture", Score: 1, Box: [4]int{0, 0, pic.Width, pic.Height}})
	}
	for _, l := range lines {
		box := image.Rect(l.Box[0], l.Box[1], l.Box[0]+l.Box[2], l.Box[1]+l.Box[3])
		start := time.Now()
		res, err := r.ReadVehicle(img, box)
		if err != nil {
			return fmt.Errorf("plates: %s: %w", file, err)
		}
		l.MS = float64(time.Since(start).Microseconds()) / 1000
		if res.Text != "" {
			t, b := res.Text, xywh(res.Box)
			l.Plate, l.PlateScore, l.PlateBox = &t, res.Score, &b
		} else {
			l.Reason = res.Reason
		}
		if err := printPlate(out, l, asJSON); err != nil {
			return err
		}
	}
	return nil
}

func xywh(r image.Rectangle) [4]int { return [4]int{r.Min.X, r.Min.Y, r.Dx(), r.Dy()} }

func printPlate(out io.Writer, l plateLine, asJSON bool) error {
	if asJSON {
		raw, err := json.Marshal(l)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s\n", raw)
		return err
	}
	text := "null (" + l.Reason + ")"
	if l.Plate != nil {
		text = fmt.Sprintf("%s (%.2f)", *l.Plate, l.PlateScore)
	}
	_, err := fmt.Fprintf(out, "%s\t%s %.2f\t[%d %d %d %d]\t%s\t%.0f ms\n", l.File, l.Class, l.Score, l.Box[0], l.Box[1], l.Box[2], l.Box[3], text, l.MS)
	return err
}
