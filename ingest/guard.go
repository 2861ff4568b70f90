package ingest

import (
	"errors"
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"github.com/patrol-city/patrol/ingest/media"
)

// DefaultMaxPixels is the largest picture a camera may announce (4K UHD).
const DefaultMaxPixels = 3840 * 2160

// errBadSPS is returned for a sequence parameter set that cannot be parsed
// or announces a picture larger than allowed. The decoder never sees it, so
// a broken or hostile camera cannot make the decoder spend seconds on a
// giant garbage picture.
var errBadSPS = errors.New("sequence parameter set rejected")

// checkSPS validates every SPS in nalus.
func checkSPS(codec media.Codec, nalus [][]byte, maxPixels int) error {
	for _, n := range nalus {
		if media.ParamSetOf(codec, n) != media.SPS {
			continue
		}
		var w, h int
		switch codec {
		case media.H264:
			var sps h264.SPS
			if err := sps.Unmarshal(n); err != nil {
				return fmt.Errorf("%w: %w", errBadSPS, err)
			}
			w, h = sps.Width(), sps.Height()
		case media.H265:
			var sps h265.SPS
			if err := sps.Unmarshal(n); err != nil {
				return fmt.Errorf("%w: %w", errBadSPS, err)
			}
			w, h = sps.Width(), sps.Height()
		}
		if w <= 0 || h <= 0 || w*h > maxPixels {
			return fmt.Errorf("%w: picture %dx%d exceeds %d pixels", errBadSPS, w, h, maxPixels)
		}
	}
	return nil
}
