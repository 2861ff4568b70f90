package av

/*
#include "cav.h"
*/
import "C"

import (
	"bytes"
	"fmt"
	"runtime"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"github.com/patrol-city/patrol/internal/media"
)

// maxAccessUnit bounds the Annex-B size of one access unit given to Decode
// (64 MiB); larger input is rejected with ErrDecode.
const maxAccessUnit = 64 << 20

// Decoder decodes one H.264 or H.265 stream into packed BGR24 images using
// libavcodec with a single thread and libswscale for the colour conversion.
// Pictures larger than 2^25 pixels are rejected. A Decoder is not safe for
// concurrent use; call Close to free its C resources.
type Decoder struct {
	c       *C.pav_decoder
	codec   media.Codec
	cleanup runtime.Cleanup
	sps     []byte // last SPS seen
}

// NewDecoder returns a decoder for codec (media.H264 or media.H265). Other
// codecs yield an error wrapping media.ErrUnsupportedCodec. The decoder uses
// thread_count 1 and outputs BGR24 regardless of the stream's pixel format.
func NewDecoder(codec media.Codec) (*Decoder, error) {
	cc, err := cCodec(codec)
	if err != nil {
		return nil, err
	}
	initLogging()
	var c *C.pav_decoder
	if ret := C.pav_decoder_new(cc, &c); ret < 0 {
		return nil, fmt.Errorf("av: open %s decoder: %s", codec, avError(ret))
	}
	d := &Decoder{c: c, codec: codec}
	// Safety net for decoders that are never closed.
	d.cleanup = runtime.AddCleanup(d, func(p *C.pav_decoder) { C.pav_decoder_free(p) }, c)
	return d, nil
}

// Decode decodes one access unit: its NAL units without start codes, in
// decoding order (parameter sets may be among them). Empty and nil NAL units
// are skipped. It returns the decoded picture as a new Image (stride
// 3*Width) owned by the caller, or (nil, nil) when the decoder has no picture
// yet (no input, waiting for a keyframe or parameter sets). Corrupt input
// yields an error wrapping ErrDecode; the decoder stays usable and recovers
// at the next decodable keyframe. Resolution and pixel format may change
// mid-stream. If one unit completes several pictures only the last is
// returned.
//
// A self-contained keyframe (an IDR/BLA slice with its SPS in the same unit)
// whose SPS differs from the last SPS seen restarts the decoder from scratch.
// This undoes state left by corrupt parameter sets, such as a huge reorder
// delay, that libavcodec would otherwise keep for the rest of the stream.
//
// Output follows libavcodec's reorder delay: streams with B-frames return
// pictures late (in display order), and when only keyframes of such an H.264
// stream are fed, each picture appears up to num_reorder_frames keyframes
// late.
func (d *Decoder) Decode(nalus [][]byte) (*media.Image, error) {
	return d.decodeUnit(nalus, false)
}

// DecodeIntra decodes one key unit like Decode, then drains and resets the
// decoder, so that the unit's own picture comes back at once even from a
// stream with B-frames (whose pictures Decode returns late). Use it for
// key-only decoding; the next unit must be a key unit again.
func (d *Decoder) DecodeIntra(nalus [][]byte) (*media.Image, error) {
	return d.decodeUnit(nalus, true)
}

func (d *Decoder) decodeUnit(nalus [][]byte, flush bool) (*media.Image, error) {
	if d.c == nil {
		return nil, errClosed
	}
	size := 0
	for _, n := range nalus {
		if len(n) > 0 {
			size += 4 + len(n)
		}
		if size > maxAccessUnit {
			return nil, fmt.Errorf("%w: access unit larger than %d bytes", ErrDecode, maxAccessUnit)
		}
	}
	if size == 0 {
		return nil, nil
	}
	sps, idr := d.scan(nalus)
	selfContained := sps != nil && idr
	if selfContained && d.sps != nil && !bytes.Equal(sps, d.sps) {
		d.reset()
	}
	if sps != nil {
		d.sps = append(d.sps[:0], sps...)
	}
	return d.decode(nalus, size, flush)
}

// scan returns the unit's last SPS (nil if none) and whether it holds an
// IDR (H.264) or IDR/BLA (H.265) slice.
func (d *Decoder) scan(nalus [][]byte) (sps []byte, idr bool) {
	for _, n := range nalus {
		if len(n) == 0 {
			continue
		}
		if d.codec == media.H264 {
			switch h264.NALUType(n[0] & 0x1f) {
			case h264.NALUTypeSPS:
				sps = n
			case h264.NALUTypeIDR:
				idr = true
			}
			continue
		}
		switch typ := h265.NALUType((n[0] >> 1) & 0x3f); {
		case typ == h265.NALUType_SPS_NUT:
			sps = n
		case typ >= h265.NALUType_BLA_W_LP && typ <= h265.NALUType_IDR_N_LP:
			idr = true
		}
	}
	return sps, idr
}

// reset reopens the codec context; a failure is retried by the next decode.
func (d *Decoder) reset() {
	C.pav_decoder_reset(d.c)
	runtime.KeepAlive(d)
}

// decode sends one access unit of the given Annex-B size and converts the
// resulting picture, if any.
func (d *Decoder) decode(nalus [][]byte, size int, flush bool) (*media.Image, error) {
	p := C.pav_decoder_packet(d.c, C.int(size))
	if p == nil {
		return nil, fmt.Errorf("%w: cannot allocate %d byte packet", ErrDecode, size)
	}
	buf := cBytes(p, size)
	pos := 0
	for _, n := range nalus {
		if len(n) > 0 {
			pos += copy(buf[pos:], "\x00\x00\x00\x01")
			pos += copy(buf[pos:], n)
		}
	}

	var bgr *C.uint8_t
	var w, h C.int
	cflush := C.int(0)
	if flush {
		cflush = 1
	}
	ret := C.pav_decoder_decode(d.c, cflush, &bgr, &w, &h)
	var img *media.Image
	if ret > 0 && bgr != nil && w > 0 && h > 0 && int(w)*int(h) <= maxPixels {
		width, height := int(w), int(h)
		pix := make([]byte, 3*width*height)
		copy(pix, cBytes(bgr, len(pix)))
		img = &media.Image{Width: width, Height: height, BGR: pix}
	}
	runtime.KeepAlive(d)
	switch {
	case ret < 0:
		return nil, fmt.Errorf("%w: %s: %s", ErrDecode, d.codec, avError(ret))
	case ret > 0 && img == nil:
		return nil, fmt.Errorf("%w: %s: invalid picture %dx%d", ErrDecode, d.codec, int(w), int(h))
	}
	return img, nil
}

// SetMaxSize makes Decode return pictures scaled down to fit in w x h, the
// aspect ratio kept, in the same libswscale pass as the colour conversion
// (one conversion, no full-size BGR picture). Zero or negative sizes
// restore the native size (the default). Pictures are never enlarged.
func (d *Decoder) SetMaxSize(w, h int) {
	if d.c == nil {
		return
	}
	C.pav_decoder_set_max_size(d.c, C.int(w), C.int(h))
}

// Close frees the decoder. It is idempotent; Decode after Close returns an
// error.
func (d *Decoder) Close() {
	if d.c == nil {
		return
	}
	d.cleanup.Stop()
	C.pav_decoder_free(d.c)
	d.c = nil
}
