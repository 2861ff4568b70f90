package demux

/*
#include "demux.h"
*/
import "C"

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"time"
	"unsafe"

	"github.com/patrol-city/patrol/internal/ingest/av"
	"github.com/patrol-city/patrol/internal/media"
)

// maxEncoderFPS bounds the frame rate given to the encoder (rate control
// only; timestamps come from the file).
const maxEncoderFPS = 240

// transcoder re-encodes decoded pictures to H.264.
type transcoder struct {
	enc     *av.Encoder
	img     media.Image     // reused input picture
	pending []time.Duration // PTS of pictures given to the encoder, not out yet
	out     []media.AccessUnit
	last    time.Duration // PTS of the last picture
	n       int           // pictures decoded
	flushed bool          // the encoder was flushed: nothing more comes
}

// openTranscoder opens the file's decoder and an H.264 encoder of the
// file's (even) size, frame rate and the GOP and bitrate of opt.
func (f *File) openTranscoder(opt Options) error {
	var w, h C.int
	ret := C.pdx_decoder_open(f.c, &w, &h)
	runtime.KeepAlive(f)
	switch {
	case ret == C.pdx_err_no_decoder():
		return fmt.Errorf("demux: %s: video codec %q: %w", f.path, f.from, media.ErrUnsupportedCodec)
	case ret < 0:
		return fmt.Errorf("demux: %s: open %s decoder (%dx%d): %w: %s", f.path, f.from, f.w, f.h, ErrFormat, avError(ret))
	}
	fps := int(math.Round(f.fps))
	fps = min(max(fps, 1), maxEncoderFPS)
	gop := max(int(math.Round(opt.GOP.Seconds()*f.fps)), 1)
	enc, err := av.NewEncoder(av.EncoderConfig{
		Codec: media.H264, Width: int(w), Height: int(h), FPS: fps, GOP: gop,
		Bitrate: opt.Bitrate, Preset: "ultrafast",
	})
	if err != nil {
		return fmt.Errorf("demux: %s: transcode %s to H.264: %w", f.path, f.from, err)
	}
	f.w, f.h = int(w), int(h)
	f.codec = media.H264
	f.params = media.Params{Codec: media.H264}
	f.tc = &transcoder{enc: enc, img: media.Image{Width: f.w, Height: f.h, BGR: make([]byte, 3*f.w*f.h)}}
	return nil
}

// readTranscoded decodes pictures and encodes them until a unit comes out;
// at the end of the file it flushes the encoder, then returns io.EOF.
func (f *File) readTranscoded() (media.AccessUnit, error) {
	tc := f.tc
	for len(tc.out) == 0 {
		if tc.flushed {
			return media.AccessUnit{}, io.EOF
		}
		var bgr *C.uint8_t
		var pts C.int64_t
		var skipped C.int
		ret := C.pdx_decode(f.c, &bgr, &pts, &skipped)
		f.skipped += int(skipped)
		if ret > 0 {
			copy(tc.img.BGR, cBytes(bgr, len(tc.img.BGR)))
		}
		runtime.KeepAlive(f)
		switch {
		case ret == C.pdx_err_eof():
			tc.flushed = true
			pkts, err := tc.enc.Flush()
			for _, p := range pkts {
				tc.emit(p.NALUs)
			}
			if err != nil {
				return media.AccessUnit{}, fmt.Errorf("demux: %s: flush H.264 encoder: %w: %w", f.path, ErrRead, err)
			}
		case ret < 0:
			return media.AccessUnit{}, fmt.Errorf("demux: read %s: %w: %s", f.path, ErrRead, avError(ret))
		default:
			tc.pending = append(tc.pending, tc.stamp(int64(pts), f.frameDur))
			nalus, _, err := tc.enc.Encode(&tc.img)
			if err != nil {
				return media.AccessUnit{}, fmt.Errorf("demux: %s: encode H.264: %w: %w", f.path, ErrRead, err)
			}
			if nalus != nil {
				tc.emit(nalus)
			}
		}
	}
	au := tc.out[0]
	tc.out = tc.out[1:]
	return au, nil
}

// stamp gives a decoded picture its time: the decoder's best-effort
// timestamp, else one frame after the previous picture; never at or before
// the previous picture (the encoder keeps the order it is given).
func (tc *transcoder) stamp(pts int64, frame time.Duration) time.Duration {
	t := time.Duration(pts)
	if tc.n > 0 && (pts == noTS || t <= tc.last) {
		t = tc.last + frame
	} else if pts == noTS {
		t = 0
	}
	tc.n++
	tc.last = t
	return t
}

// emit queues an encoded unit with the PTS of the picture it encodes (the
// encoder without B-frames keeps the pictures' order).
func (tc *transcoder) emit(nalus [][]byte) {
	if len(tc.pending) == 0 || len(nalus) == 0 {
		return
	}
	pts := tc.pending[0]
	tc.pending = tc.pending[1:]
	tc.out = append(tc.out, media.AccessUnit{NALUs: nalus, Key: isKey(media.H264, nalus), PTS: pts})
}

// cBytes views C memory of length n as a byte slice.
func cBytes(p *C.uint8_t, n int) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), n)
}
