package demux

/*
#include "demux.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"
	"unsafe"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"github.com/patrol-city/patrol/internal/media"
)

// Next returns the next access unit in decoding order, as RTSP delivers
// them: NAL units without start codes or length prefixes, Key set for
// IDR/IRAP units (mediacommon's IsRandomAccess, as ingest's session does),
// PTS measured from the first key unit's (so the first unit is at 0; taken
// from the packet's PTS, else its DTS, else frame count / frame rate;
// with B-frames not monotonic, as the container says), Recv and CameraTime
// zero. Units before the first key unit are skipped. A transcoded file's
// units carry the PTS of the pictures they encode, strictly increasing.
// Corrupt packets are skipped and counted (Skipped). At the end Next
// returns io.EOF (after flushing the transcoder); other failures wrap
// ErrRead. The NAL units are owned by the caller.
func (f *File) Next() (media.AccessUnit, error) {
	if f.c == nil {
		return media.AccessUnit{}, errClosed
	}
	if f.first != nil {
		au := *f.first
		f.first = nil
		au.PTS -= f.origin
		return au, nil
	}
	au, err := f.read()
	if err != nil {
		return media.AccessUnit{}, err
	}
	au.PTS -= f.origin
	return au, nil
}

// read returns the next unit with its absolute timestamp.
func (f *File) read() (media.AccessUnit, error) {
	if f.tc != nil {
		return f.readTranscoded()
	}
	for {
		var data *C.uint8_t
		var size, skipped C.int
		var pts, dts C.int64_t
		ret := C.pdx_read(f.c, &data, &size, &pts, &dts, &skipped)
		f.skipped += int(skipped)
		var nalus [][]byte
		ok := false
		if ret > 0 {
			nalus, ok = f.split(C.GoBytes(unsafe.Pointer(data), size))
		}
		runtime.KeepAlive(f)
		switch {
		case ret == C.pdx_err_eof():
			return media.AccessUnit{}, io.EOF
		case ret < 0:
			return media.AccessUnit{}, fmt.Errorf("demux: read %s: %w: %s", f.path, ErrRead, avError(ret))
		case !ok:
			f.skipped++
			continue
		}
		return media.AccessUnit{NALUs: nalus, Key: isKey(f.codec, nalus), PTS: f.stamp(int64(pts), int64(dts))}, nil
	}
}

// stamp picks a unit's absolute time: PTS, else DTS, else frame count.
func (f *File) stamp(pts, dts int64) time.Duration {
	n := f.count
	f.count++
	switch {
	case pts != noTS:
		return time.Duration(pts)
	case dts != noTS:
		return time.Duration(dts)
	}
	return time.Duration(n) * f.frameDur
}

// isKey reports a random access unit, like ingest's session.
func isKey(c media.Codec, nalus [][]byte) bool {
	if c == media.H265 {
		return h265.IsRandomAccess(nalus)
	}
	return h264.IsRandomAccess(nalus)
}

// avError formats a libav error code.
func avError(code C.int) string {
	var buf [128]C.char
	C.pdx_strerror(code, &buf[0], C.size_t(len(buf)))
	if msg := C.GoString(&buf[0]); msg != "" {
		return msg
	}
	return fmt.Sprintf("libav error %d", int(code))
}

// split turns one packet into NAL units (sub-slices of b, capacity capped):
// length-prefixed (AVCC/HVCC) or Annex-B. It reports false for a packet
// with broken framing or without any NAL unit.
func (f *File) split(b []byte) ([][]byte, bool) {
	if f.lenSize == 0 {
		nalus := media.SplitAnnexB(b)
		return nalus, len(nalus) > 0
	}
	var nalus [][]byte
	for len(b) > 0 {
		if len(b) < f.lenSize {
			return nil, false
		}
		n := 0
		for _, c := range b[:f.lenSize] {
			n = n<<8 | int(c)
		}
		b = b[f.lenSize:]
		if n > len(b) {
			return nil, false
		}
		if n > 0 {
			nalus = append(nalus, b[:n:n])
		}
		b = b[n:]
	}
	return nalus, len(nalus) > 0
}

var errShort = errors.New("truncated decoder configuration record")

// parseExtradata reads the parameter sets and the NAL unit length size
// from a stream's extradata: an avcC/hvcC record (first byte 1), else
// Annex-B parameter sets (length size 0: packets are Annex-B too).
func parseExtradata(c media.Codec, b []byte) (media.Params, int, error) {
	p := media.Params{Codec: c}
	if len(b) == 0 || b[0] != 1 {
		return p.Fill(media.SplitAnnexB(b)), 0, nil
	}
	r := record{b: b}
	var size, arrays int
	if c == media.H264 { // ISO/IEC 14496-15 5.3.3.1
		r.skip(4)
		size = int(r.u8()&3) + 1
		arrays = 2
	} else { // ISO/IEC 14496-15 8.3.3.1
		r.skip(21)
		size = int(r.u8()&3) + 1
		arrays = int(r.u8())
	}
	var sets [][]byte
	for i := 0; i < arrays && !r.bad; i++ {
		var n int
		switch {
		case c == media.H265:
			r.skip(1) // array_completeness, NAL unit type
			n = r.u16()
		case i == 0:
			n = int(r.u8() & 0x1f) // numOfSequenceParameterSets
		default:
			n = int(r.u8()) // numOfPictureParameterSets
		}
		for j := 0; j < n && !r.bad; j++ {
			if nalu := r.next(r.u16()); len(nalu) > 0 {
				sets = append(sets, nalu)
			}
		}
	}
	if r.bad {
		return p, 0, errShort
	}
	return p.Fill(sets), size, nil
}

// record reads a decoder configuration record; bad is set, and zeros
// returned, once it runs past the end.
type record struct {
	b   []byte
	bad bool
}

func (r *record) next(n int) []byte {
	if r.bad || n > len(r.b) {
		r.bad = true
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *record) skip(n int) { r.next(n) }

func (r *record) u8() byte {
	if b := r.next(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *record) u16() int {
	if b := r.next(2); b != nil {
		return int(b[0])<<8 | int(b[1])
	}
	return 0
}

// spsSize reads the picture size from the SPS (0, 0 when it cannot).
func spsSize(p media.Params) (int, int) {
	if p.Codec == media.H265 {
		var s h265.SPS
		if s.Unmarshal(p.SPS) == nil {
			return s.Width(), s.Height()
		}
		return 0, 0
	}
	var s h264.SPS
	if s.Unmarshal(p.SPS) == nil {
		return s.Width(), s.Height()
	}
	return 0, 0
}
