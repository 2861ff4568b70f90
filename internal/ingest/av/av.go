// Package av is a small cgo layer over FFmpeg's libavcodec and libswscale
// for decoding and encoding H.264 and H.265 video.
//
// A Decoder turns access units (NAL units without start codes) into packed
// BGR24 images; an Encoder turns BGR24 images into access units with
// in-band parameter sets on every keyframe. A Decoder uses a single codec
// thread; an Encoder leaves the thread count to x264/x265 (automatic, so the
// number of slice NAL units per picture depends on the CPU count). Both hold
// all libav state on the C heap and must be released with Close. Neither is
// safe for concurrent use.
//
// The first NewDecoder or NewEncoder call silences libav's process-wide
// logging (av_log_set_level(AV_LOG_QUIET)); failures are reported through
// returned errors instead.
package av

/*
#cgo pkg-config: libavcodec libavutil libswscale
#include <stdlib.h>
#include "cav.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/patrol-city/patrol/internal/media"
)

// ErrDecode is returned (wrapped, with the libav reason) by Decoder.Decode
// for input the decoder rejects: corrupt or truncated NAL units, garbage,
// pictures it cannot convert. The decoder stays usable afterwards.
var ErrDecode = errors.New("decode error")

// errClosed is returned when a closed Decoder or Encoder is used.
var errClosed = errors.New("av: use of closed codec")

// maxPixels mirrors PAV_MAX_PIXELS in cav_decoder.c: the largest picture
// (width*height) accepted, 2^25 (8K UHD fits).
const maxPixels = 1 << 25

var logOnce sync.Once

func initLogging() { logOnce.Do(func() { C.pav_init_logging() }) }

// avError formats a libav error code.
func avError(code C.int) string {
	var buf [128]C.char
	C.pav_strerror(code, &buf[0], C.size_t(len(buf)))
	msg := C.GoString(&buf[0])
	if msg == "" {
		msg = fmt.Sprintf("libav error %d", int(code))
	}
	return msg
}

// cCodec maps a media.Codec to the C enum, or reports ErrUnsupportedCodec.
func cCodec(c media.Codec) (C.int, error) {
	switch c {
	case media.H264:
		return C.PAV_H264, nil
	case media.H265:
		return C.PAV_H265, nil
	}
	return 0, fmt.Errorf("av: codec %q: %w", string(c), media.ErrUnsupportedCodec)
}

// cBytes views C memory of length n as a byte slice.
func cBytes(p *C.uint8_t, n int) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), n)
}
