package ingest

import (
	"errors"
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"github.com/patrol-city/patrol/media"
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
		if len(n) < 2 {
			continue
		}
		var w, h int
		switch codec {
		case media.H264:
			if h264.NALUType(n[0]&0x1f) != h264.NALUTypeSPS {
				continue
			}
			var sps h264.SPS
			if err := sps.Unmarshal(n); err != nil {
				return fmt.Errorf("%w: %w", errBadSPS, err)
			}
			w, h = sps.Width(), sps.Height()
		case media.H265:
			if h265.NALUType((n[0]>>1)&0x3f) != h265.NALUType_SPS_NUT {
				continue
			}
			var sps h265.SPS
			if err := sps.Unmarshal(n); err != nil {
				return fmt.Errorf("%w: %w", errBadSPS, err)
			}
			w, h = sps.Width(), sps.Height()
		default:
			return nil
		}
		if w <= 0 || h <= 0 || w*h > maxPixels {
			return fmt.Errorf("%w: picture %dx%d exceeds %d pixels", errBadSPS, w, h, maxPixels)
		}
	}
	return nil
}
