package face

import (
	"errors"
	"fmt"
)

// Defaults of Config, applied by New.
const (
	// DefaultThreads is the intra-op thread count.
	DefaultThreads = 1
	// DefaultMinScore is the lowest score kept. On the shared street
	// picture 0.6 keeps faces (frontal and in profile) and heads seen from
	// behind; below it lamps and traffic lights appear (0.52-0.58).
	DefaultMinScore = 0.6
	// DefaultScale enlarges the picture twice before tiling, so that faces
	// of 5 pixels reach YuNet's smallest (about 10).
	DefaultScale = 2.0
	// DefaultMaxTiles bounds the tiles per picture (about 10 ms each on one
	// core; 170 ms for the shared 1441x731 street picture): a larger
	// picture is enlarged less than Scale.
	DefaultMaxTiles = 16
)

// Limits of the input and of Config.
const (
	// Side is the model's fixed input side.
	Side = 640
	// MinSide is the smallest picture side Detect accepts.
	MinSide = 16
	// MaxScale is the largest Config.Scale.
	MaxScale = 4.0
	// MaxTilesLimit is the largest Config.MaxTiles.
	MaxTilesLimit = 64
	// overlap is the least overlap of neighbouring tiles, in model pixels:
	// a face up to this size lies whole in some tile.
	overlap = 96
	// nmsIoU is YuNet's usual suppression threshold.
	nmsIoU = 0.3
)

// strides are YuNet's three output scales.
var strides = [3]int{8, 16, 32}

// Config configures a Detector. Zero values take the defaults.
type Config struct {
	// ModelPath is face_detection_yunet_2023mar.onnx (models.YuNet;
	// required).
	ModelPath string
	// RuntimeLibrary is ONNX Runtime's shared library (required; the
	// detector's: one library per process).
	RuntimeLibrary string
	// Threads is the intra-op thread count (default DefaultThreads, 1).
	Threads int
	// MinScore is the lowest score kept, in (0, 1) (default
	// DefaultMinScore, 0.6).
	MinScore float64
	// Scale enlarges the picture before it is cut into 640x640 tiles, in
	// (0, MaxScale] (default DefaultScale, 2).
	Scale float64
	// MaxTiles bounds the tiles per picture, 1..MaxTilesLimit (default
	// DefaultMaxTiles, 16); the whole-picture pass comes on top.
	MaxTiles int
}

// withDefaults returns cfg with its zero values replaced by the defaults,
// or an error when a value is out of range: the one place defaults apply.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.ModelPath == "" || cfg.RuntimeLibrary == "" {
		return cfg, errors.New("face: model path and runtime library required")
	}
	if cfg.Threads == 0 {
		cfg.Threads = DefaultThreads
	}
	if cfg.MinScore == 0 {
		cfg.MinScore = DefaultMinScore
	}
	if cfg.Scale == 0 {
		cfg.Scale = DefaultScale
	}
	if cfg.MaxTiles == 0 {
		cfg.MaxTiles = DefaultMaxTiles
	}
	switch {
	case cfg.Threads < 0:
		return cfg, fmt.Errorf("face: threads %d < 0", cfg.Threads)
	case !(cfg.MinScore > 0 && cfg.MinScore < 1):
		return cfg, fmt.Errorf("face: min score %v not in (0, 1)", cfg.MinScore)
	case !(cfg.Scale > 0 && cfg.Scale <= MaxScale):
		return cfg, fmt.Errorf("face: scale %v not in (0, %v]", cfg.Scale, MaxScale)
	case cfg.MaxTiles < 1 || cfg.MaxTiles > MaxTilesLimit:
		return cfg, fmt.Errorf("face: max tiles %d not in 1..%d", cfg.MaxTiles, MaxTilesLimit)
	}
	return cfg, nil
}
