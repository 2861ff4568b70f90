package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"path/filepath"
	"slices"
	"time"

	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/models/assets"
)

// plateBenchResult is the JSON line of `patrol bench plate`.
type plateBenchResult struct {
	Pictures int     `json:"pictures"`
	Rounds   int     `json:"rounds"`
	Read     int     `json:"read"`
	MeanMS   float64 `json:"ms_per_vehicle_mean"`
	P50MS    float64 `json:"ms_per_vehicle_p50"`
	MaxMS    float64 `json:"ms_per_vehicle_max"`
}

// cmdBenchPlate times the plate reader (text detection, rectification,
// two reads per region) on the labelled plate pictures of the test data,
// each read whole as one vehicle except the 1080p street picture, whose
// sedan box is the detector's.
func cmdBenchPlate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench plate", flag.ContinueOnError)
	rounds := fs.Int("rounds", 5, "times each picture is read")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rounds < 1 {
		return fmt.Errorf("bench plate: -rounds %d: want at least 1", *rounds)
	}
	f := assets.DefaultFetcher()
	root, err := f.Root(ctx, assets.Testdata())
	if err != nil {
		return err
	}
	r, err := newPlateReader(ctx, f)
	if err != nil {
		return err
	}
	defer r.Close()
	files, err := filepath.Glob(filepath.Join(root, "testdata", "plates", "*.jpg"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("bench plate: no pictures in %s/testdata/plates", root)
	}
	res := plateBenchResult{Pictures: len(files), Rounds: *rounds}
	var times []float64
	for _, file := range files {
		img := gocv.IMRead(file, gocv.IMReadColor)
		if img.Empty() {
			return fmt.Errorf("bench plate: %s: not readable", file)
		}
		box := image.Rect(0, 0, img.Cols(), img.Rows())
		if filepath.Base(file) == "street_suED51712.jpg" {
			box = image.Rect(593, 335, 1887, 990) // the sedan, as YOLOX-Nano finds it
		}
		for i := range *rounds {
			start := time.Now()
			got, err := r.ReadVehicle(img, box)
			if err != nil {
				img.Close()
				return err
			}
			times = append(times, float64(time.Since(start).Microseconds())/1000)
			if i == 0 && got.Text != "" {
				res.Read++
			}
		}
		img.Close()
	}
	slices.Sort(times)
	sum := 0.0
	for _, t := range times {
		sum += t
	}
	res.MeanMS = round1(sum / float64(len(times)))
	res.P50MS, res.MaxMS = round1(times[len(times)/2]), round1(times[len(times)-1])
	fmt.Printf("plate reader: %d pictures x %d rounds, %d read; %.0f ms per vehicle (p50 %.0f, max %.0f), one thread\n",
		res.Pictures, res.Rounds, res.Read, res.MeanMS, res.P50MS, res.MaxMS)
	return printJSONLine(res)
}

func round1(v float64) float64 { return float64(int(v*10+0.5)) / 10 }
