package ingest

import (
	"errors"
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"github.com/patrol-city/patrol/internal/media"
)

// DefaultMaxPixels is the largest picture a camera may announce (4K UHD).
const DefaultMaxPixels = 3840 * 2160

// errBadSPS is returned for a sequence parameter set that cannot be parsed
// or announces a picture larger than allowed. The decoder never sees it, so
// a broken or hostile camera cannot make the decoder spend seconds on a
// giant garbage picture.
var errBadSPS = errors.New("sequence parameter set rejected")

// spsSize parses an SPS and returns the picture size it announces.
func spsSize(codec media.Codec, nalu []byte) (w, h int, err error) {
	switch codec {
	case media.H264:
		var sps h264.SPS
		if err := sps.Unmarshal(nalu); err != nil {
			return 0, 0, err
		}
		return sps.Width(), sps.Height(), nil
	case media.H265:
		var sps h265.SPS
		if err := sps.Unmarshal(nalu); err != nil {
			return 0, 0, err
		}
		return sps.Width(), sps.Height(), nil
	}
	return 0, 0, fmt.Errorf("%w %q", media.ErrUnsupportedCodec, codec)
}

// PictureSize returns the picture size of the stream's current SPS, and
// false before the camera has sent one.
func (c *Camera) PictureSize() (w, h int, ok bool) {
	p := c.ring.Params()
	if len(p.SPS) == 0 {
		return 0, 0, false
	}
	w, h, err := spsSize(p.Codec, p.SPS)
	return w, h, err == nil && w > 0 && h > 0
}

// checkSPS validates every SPS in nalus.
func checkSPS(codec media.Codec, nalus [][]byte, maxPixels int) error {
	for _, n := range nalus {
		if media.ParamSetOf(codec, n) != media.SPS {
			continue
		}
		w, h, err := spsSize(codec, n)
		if err != nil {
			return fmt.Errorf("%w: %w", errBadSPS, err)
		}
		if w <= 0 || h <= 0 || w*h > maxPixels {
			return fmt.Errorf("%w: picture %dx%d exceeds %d pixels", errBadSPS, w, h, maxPixels)
		}
	}
	return nil
}
