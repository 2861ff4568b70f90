package static

import (
	"errors"
	"fmt"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/detect"
)

// Label is the track label of a static object.
const Label = "static_object"

// Defaults, used when the corresponding Config field is zero.
const (
	// DefaultCell is the default Config.Cell.
	DefaultCell = 4
	// DefaultMinArea is the default Config.MinArea.
	DefaultMinArea = 0.002
	// DefaultMaxArea is the default Config.MaxArea.
	DefaultMaxArea = 0.25
	// DefaultThreshold is the default Config.Threshold.
	DefaultThreshold = 12.0
	// DefaultLightingFrac is the default Config.LightingFrac.
	DefaultLightingFrac = 0.35
	// DefaultSettle is the default Config.Settle.
	DefaultSettle = 3
	// DefaultRecent is the default Config.Recent.
	DefaultRecent = 2 * time.Second
	// DefaultForget is the default Config.Forget.
	DefaultForget = 3
	// DefaultRevealAfter is the default Config.RevealAfter.
	DefaultRevealAfter = 60 * time.Second
)

// DefaultExclude are the default Config.Exclude: the detector's classes of
// people and vehicles, which have rules of their own (the configuration's
// default classes of a static_object rule).
var DefaultExclude = config.DefaultStaticExclude

// Config configures a Finder. Zero fields take the documented defaults.
type Config struct {
	// Zones are the polygons watched; cells outside all of them are
	// ignored. At least one is required.
	Zones []detect.Zone
	// Cell is the side of a background cell in picture pixels (default 4).
	Cell int
	// MinArea and MaxArea bound a static object's area as a fraction of
	// the picture (defaults 0.002 and 0.25): MinArea the cells that differ
	// from the background themselves, MaxArea the region with the ring of
	// cells around them that joins a textured object into one.
	MinArea, MaxArea float64
	// Threshold is the colour difference (grey levels, largest of the
	// three channels of a cell's mean) from which a cell differs from the
	// background (default 12). Shadows and light changes are told apart
	// per region, not per cell: a region whose pattern correlates with the
	// background's is the same ground in other light.
	Threshold float64
	// LightingFrac: when more than this share of the zones' cells differs
	// from the background at once, even after the background took the
	// picture's exposure (a step of more than 8 % is followed at once, so
	// that what is new stays new), the light changed unevenly (street
	// lights, a cloud's edge) or traffic fills the zones; the background
	// follows, except under people and vehicles, and the picture finds
	// nothing (default 0.35).
	LightingFrac float64
	// Settle is the number of pictures that build the first background
	// before anything is found (default 3).
	Settle int
	// Exclude are detector labels whose objects are not static objects;
	// regions their tracks cover (seen within Recent) are skipped.
	// Default DefaultExclude.
	Exclude []string
	// Recent is how long after its last sighting an excluded track still
	// covers its box (default 2s).
	Recent time.Duration
	// Forget drops a static object missing from this many pictures in a
	// row (default 3).
	Forget int
	// RevealAfter: cells that an excluded object (a parked car) covered
	// for this long are learned afresh when it leaves, so the spot it
	// reveals is not taken for a new object (default 60s).
	RevealAfter time.Duration
}

func (c *Config) applyDefaults() {
	detect.SetDefault(&c.Cell, DefaultCell)
	detect.SetDefault(&c.MinArea, DefaultMinArea)
	detect.SetDefault(&c.MaxArea, DefaultMaxArea)
	detect.SetDefault(&c.Threshold, DefaultThreshold)
	detect.SetDefault(&c.LightingFrac, DefaultLightingFrac)
	detect.SetDefault(&c.Settle, DefaultSettle)
	detect.SetDefault(&c.Recent, DefaultRecent)
	detect.SetDefault(&c.Forget, DefaultForget)
	detect.SetDefault(&c.RevealAfter, DefaultRevealAfter)
	if c.Exclude == nil {
		c.Exclude = DefaultExclude
	}
}

func (c *Config) validate() error {
	var errs []error
	if len(c.Zones) == 0 {
		errs = append(errs, errors.New("static: at least one zone required"))
	}
	for _, z := range c.Zones {
		if err := z.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("static: %w", err))
		}
	}
	if c.Cell > 64 {
		errs = append(errs, fmt.Errorf("static: cell %d above 64 pixels", c.Cell))
	}
	if c.MinArea >= c.MaxArea || c.MaxArea > 1 {
		errs = append(errs, fmt.Errorf("static: need 0 < min_area %v < max_area %v <= 1", c.MinArea, c.MaxArea))
	}
	if c.LightingFrac > 1 {
		errs = append(errs, fmt.Errorf("static: lighting fraction %v above 1", c.LightingFrac))
	}
	return errors.Join(errs...)
}
