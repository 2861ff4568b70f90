// Package motion says whether a camera picture changed within its zones
// since the last inference (a cheap grey-thumbnail difference), and when an
// inference is due anyway, so the shared detector is spent where something
// moves. Skipped pictures are passed to detect.Tracker.Hold so dwell keeps
// counting. A Gate is not safe for concurrent use.
package motion

import (
	"fmt"
	"math"
	"time"

	"github.com/patrol-city/patrol/internal/detect"
)

// Gate defaults, used when the corresponding Config field is
// zero.
const (
	// DefaultCols is the width of the grey thumbnail compared.
	DefaultCols = 160
	// DefaultThreshold is the grey-level change of a thumbnail cell
	// that counts as changed.
	DefaultThreshold = 12.0
	// DefaultMinCells is how many changed cells make a change.
	DefaultMinCells = 2
	// DefaultMargin is how far zones are extended upwards.
	DefaultMargin = 0.15
	// DefaultMaxInferInterval is the longest time between inferences.
	DefaultMaxInferInterval = 5 * time.Second
)

// Config configures a Gate. Zero fields take the defaults.
type Config struct {
	// Cols is the width in cells of the grey thumbnail the frames are
	// reduced to (each cell the mean of its pixels; rows follow the aspect
	// ratio). Default 160.
	Cols int
	// Threshold is the change of a cell's mean grey level (0-255) above
	// which the cell counts as changed. Default 12.
	Threshold float64
	// MinCells is how many changed cells inside the zones make the picture
	// changed. Default 2.
	MinCells int
	// Margin extends each zone upwards by this fraction of the frame
	// height: zones hold objects' ground points, their bodies stand above.
	// Default 0.15.
	Margin float64
	// MaxInterval is the longest time ShouldInfer lets pass without an
	// inference, changed or not. Default 5s.
	MaxInterval time.Duration
}

// Gate decides whether a frame needs inference: only when the picture
// changed within the zones since the last inference, and at least every
// MaxInterval. Frames are packed BGR (3 bytes per pixel, rows without
// padding). Between inferences the caller keeps tracks alive with
// Tracker.Hold. It is not safe for concurrent use.
type Gate struct {
	cfg          Config
	zones        []detect.Zone
	w, h         int       // frame size the mask was built for
	cols, rows   int       // thumbnail size
	mask         []bool    // cells inside the (extended) zones
	ref, pending []float32 // thumbnails: last inferred frame, latest frame
	lastInfer    time.Time
}

// New returns a gate watching zones (no zones: the whole frame).
func New(cfg Config, zones []detect.Zone) (*Gate, error) {
	for _, z := range zones {
		if err := z.Validate(); err != nil {
			return nil, fmt.Errorf("motion gate: %w", err)
		}
	}
	if cfg.Cols < 0 || cfg.Threshold < 0 || cfg.MinCells < 0 || cfg.Margin < 0 || cfg.MaxInterval < 0 ||
		math.IsNaN(cfg.Threshold) || math.IsNaN(cfg.Margin) {
		return nil, fmt.Errorf("motion gate: negative setting in %+v", cfg)
	}
	detect.SetDefault(&cfg.Cols, DefaultCols)
	detect.SetDefault(&cfg.Threshold, DefaultThreshold)
	detect.SetDefault(&cfg.MinCells, DefaultMinCells)
	detect.SetDefault(&cfg.Margin, DefaultMargin)
	detect.SetDefault(&cfg.MaxInterval, DefaultMaxInferInterval)
	return &Gate{cfg: cfg, zones: zones}, nil
}

// Changed reports whether the w x h BGR frame differs within the zones from
// the frame of the last inference (the latest frame before a ShouldInfer
// that returned true); with no such frame, or a different frame size, it
// reports true. The frame becomes the reference if the next ShouldInfer
// returns true.
func (g *Gate) Changed(bgr []byte, w, h int) (bool, error) {
	if w <= 0 || h <= 0 || len(bgr) < w*h*3 {
		return false, fmt.Errorf("motion gate: %d bytes for a %dx%d BGR frame", len(bgr), w, h)
	}
	if w != g.w || h != g.h {
		g.layout(w, h)
	}
	g.pending = g.thumbnail(bgr)
	if g.ref == nil {
		return true, nil
	}
	n := 0
	for i, v := range g.pending {
		if g.mask[i] && math.Abs(float64(v-g.ref[i])) > g.cfg.Threshold {
			if n++; n >= g.cfg.MinCells {
				return true, nil
			}
		}
	}
	return false, nil
}

// ShouldInfer reports whether to run inference at now: when changed, on
// the first call, or when MaxInterval has passed since the last inference
// (or the clock went back). When it returns true it records now as the
// inference time and the latest frame given to Changed as the reference.
func (g *Gate) ShouldInfer(changed bool, now time.Time) bool {
	if !changed && !g.lastInfer.IsZero() && !now.Before(g.lastInfer) && now.Sub(g.lastInfer) < g.cfg.MaxInterval {
		return false
	}
	g.lastInfer = now
	if g.pending != nil {
		g.ref = g.pending
	}
	return true
}

// ZonesChanged reports whether BGR frames a and b (both w x h) differ within
// zones, with cfg's thresholds (the comparison Gate.Changed makes).
func ZonesChanged(a, b []byte, w, h int, zones []detect.Zone, cfg Config) (bool, error) {
	g, err := New(cfg, zones)
	if err != nil {
		return false, err
	}
	if _, err := g.Changed(a, w, h); err != nil {
		return false, err
	}
	g.ShouldInfer(true, time.Time{})
	return g.Changed(b, w, h)
}

// layout sizes the thumbnail and the zone mask for w x h frames and drops
// the reference.
func (g *Gate) layout(w, h int) {
	g.w, g.h, g.ref = w, h, nil
	g.cols = min(g.cfg.Cols, w)
	g.rows = min(max(1, int(math.Round(float64(h)*float64(g.cols)/float64(w)))), h)
	g.mask = make([]bool, g.cols*g.rows)
	if len(g.zones) == 0 {
		for i := range g.mask {
			g.mask[i] = true
		}
		return
	}
	const steps = 4
	for r := 0; r < g.rows; r++ {
		for c := 0; c < g.cols; c++ {
			p := detect.Point{X: (float64(c) + 0.5) / float64(g.cols), Y: (float64(r) + 0.5) / float64(g.rows)}
			for k := 0; k <= steps && !g.mask[r*g.cols+c]; k++ {
				q := detect.Point{X: p.X, Y: min(p.Y+g.cfg.Margin*float64(k)/steps, 0.9999)}
				for _, z := range g.zones {
					if z.Contains(q) {
						g.mask[r*g.cols+c] = true
						break
					}
				}
			}
		}
	}
	for _, z := range g.zones { // zones thinner than a cell
		for _, p := range z.Polygon {
			c := min(int(p.X*float64(g.cols)), g.cols-1)
			r := min(int(p.Y*float64(g.rows)), g.rows-1)
			g.mask[r*g.cols+c] = true
		}
	}
}

// thumbnail reduces a BGR frame to the mean grey level of each cell,
// sampling about 4x4 pixels per cell.
func (g *Gate) thumbnail(bgr []byte) []float32 {
	w, h := g.w, g.h
	step := max(1, min(w/g.cols, h/g.rows)/4)
	colOf := make([]int, w)
	for x := range colOf {
		colOf[x] = x * g.cols / w
	}
	sum := make([]float32, g.cols*g.rows)
	cnt := make([]float32, g.cols*g.rows)
	for y := 0; y < h; y += step {
		row := (y * g.rows / h) * g.cols
		line := bgr[y*w*3 : (y+1)*w*3]
		for x := 0; x < w; x += step {
			p := line[x*3 : x*3+3]
			i := row + colOf[x]
			sum[i] += float32(29*int(p[0])+150*int(p[1])+77*int(p[2])) / 256
			cnt[i]++
		}
	}
	for i := range sum {
		if cnt[i] > 0 {
			sum[i] /= cnt[i]
		}
	}
	return sum
}
