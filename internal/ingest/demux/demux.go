// Package demux reads recorded video files (MP4, MKV, AVI, MPEG-TS,
// anything FFmpeg's libavformat reads) and yields the access units an RTSP
// session yields, so that a file can play through the same pipeline as a
// live camera (patrol's replay command).
//
// H.264 and H.265 pass through without re-encoding; other video codecs
// that libavcodec decodes are decoded to BGR24 and re-encoded to H.264 with
// ingest/av's Encoder. All libav state lives on the C heap behind an opaque
// handle (cav_demux.c, cav_decode.c); a File must be released with Close
// and is not safe for concurrent use.
//
// The first Open silences libav's process-wide logging
// (av_log_set_level(AV_LOG_QUIET)), as ingest/av does; failures are
// reported through returned errors instead.
package demux

/*
#cgo pkg-config: libavformat libavcodec libavutil libswscale
#cgo CFLAGS: -I${SRCDIR}/../av
#include <stdlib.h>
#include "demux.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"github.com/patrol-city/patrol/internal/media"
)

// ErrNoVideo is returned (wrapped, naming the path) by Open for a media
// file without a video stream (audio only, cover art only) or whose video
// stream holds no key unit to start from.
var ErrNoVideo = errors.New("no video stream")

// ErrFormat is returned (wrapped, naming the path and the libav reason) by
// Open for a file libavformat cannot read: an unknown or corrupt container,
// an empty or truncated file, invalid codec configuration.
var ErrFormat = errors.New("not a readable video file")

// ErrRead is returned (wrapped, naming the path, with the reason) by Next
// for a read, decode or encode failure other than the end of the file.
var ErrRead = errors.New("read error")

// errClosed is returned when a closed File is used.
var errClosed = errors.New("demux: use of closed file")

// noTS mirrors PDX_NOTS: a timestamp libavformat does not know.
const noTS = C.PDX_NOTS

// Defaults of Options and of files that do not tell their frame rate.
const (
	DefaultGOP     = 2 * time.Second
	DefaultBitrate = 4_000_000
	DefaultFPS     = 25
)

// Options configures Open. The zero value is fine.
type Options struct {
	// GOP is the key frame interval of a transcoded stream; 0 means
	// DefaultGOP (2 s of frames, like an IP camera). It is rounded to whole
	// frames of the file's frame rate, at least 1.
	GOP time.Duration
	// Bitrate of a transcoded stream in bits/s; 0 means DefaultBitrate
	// (4_000_000).
	Bitrate int
}

// File is an open recorded video file. Call Close to release it.
type File struct {
	c        *C.pdx_file
	cleanup  runtime.Cleanup
	path     string
	codec    media.Codec
	params   media.Params
	from     string // the file's codec name when transcoded
	w, h     int
	duration time.Duration
	fps      float64       // frame rate (DefaultFPS when unknown)
	frameDur time.Duration // 1/fps
	lenSize  int           // AVCC/HVCC length prefix size (0: Annex-B)
	count    int64         // units read (frame-count timestamps)
	origin   time.Duration // timestamp of the first key unit
	first    *media.AccessUnit
	skipped  int
	tc       *transcoder // nil: pass-through
}

var logOnce sync.Once

// Open opens path and picks its best video stream (cover art excluded).
// H.264 and H.265 are passed through without re-encoding; any other video
// codec libavcodec decodes (MPEG-4 Part 2, MJPEG, ...) is decoded and
// re-encoded to H.264 with ingest/av's Encoder (x264, preset ultrafast, no
// B-frames, GOP and Bitrate from opt), keeping the file's timestamps; an
// odd picture width or height is cropped by one to an even one. Only the
// local file protocol is used, so a playlist cannot reach the network.
//
// Open reads up to the first key unit, so that Params is complete. Errors
// name path: an *fs.PathError when path cannot be opened, ErrFormat when
// libavformat cannot read it (or path is a directory), ErrNoVideo without
// a video stream or key unit, media.ErrUnsupportedCodec for a video codec
// libavcodec cannot decode.
func Open(path string, opt Options) (*File, error) {
	switch {
	case opt.GOP < 0:
		return nil, fmt.Errorf("demux: GOP %v must not be negative", opt.GOP)
	case opt.Bitrate < 0:
		return nil, fmt.Errorf("demux: bitrate %d must not be negative", opt.Bitrate)
	}
	if opt.GOP == 0 {
		opt.GOP = DefaultGOP
	}
	if opt.Bitrate == 0 {
		opt.Bitrate = DefaultBitrate
	}
	if err := checkReadable(path); err != nil {
		return nil, err
	}
	logOnce.Do(func() { C.pdx_init_logging() })
	url := C.CString("file:" + path)
	defer C.free(unsafe.Pointer(url))
	var c *C.pdx_file
	var info C.pdx_info
	if ret := C.pdx_open(url, &c, &info); ret < 0 {
		if ret == C.pdx_err_no_stream() {
			return nil, fmt.Errorf("demux: %s: %w", path, ErrNoVideo)
		}
		return nil, fmt.Errorf("demux: open %s: %w: %s", path, ErrFormat, avError(ret))
	}
	f := &File{c: c, path: path}
	// Safety net for files that are never closed.
	f.cleanup = runtime.AddCleanup(f, func(p *C.pdx_file) { C.pdx_close(p) }, c)
	if err := f.setup(&info, opt); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// checkReadable reports, as an *fs.PathError, a path that does not exist,
// cannot be read or is a directory.
func checkReadable(path string) error {
	fh, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("demux: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return fmt.Errorf("demux: %w", err)
	}
	if st.IsDir() {
		return fmt.Errorf("demux: open %s: %w: is a directory", path, ErrFormat)
	}
	return nil
}

// setup takes the stream's description, prepares pass-through or the
// transcoder and reads up to the first key unit.
func (f *File) setup(info *C.pdx_info, opt Options) error {
	f.from = C.GoString(&info.codec_name[0])
	f.w, f.h = int(info.width), int(info.height)
	f.duration = time.Duration(info.duration_ns)
	f.fps = DefaultFPS
	if num, den := float64(info.fps_num), float64(info.fps_den); num > 0 && den > 0 && num/den <= 1000 {
		f.fps = num / den
	}
	f.frameDur = time.Duration(float64(time.Second) / f.fps)
	switch info.codec {
	case C.PDX_H264:
		f.codec = media.H264
	case C.PDX_H265:
		f.codec = media.H265
	default:
		if err := f.openTranscoder(opt); err != nil {
			return err
		}
	}
	if f.tc == nil {
		var data *C.uint8_t
		n := C.pdx_extradata(f.c, &data)
		var extra []byte
		if n > 0 {
			extra = C.GoBytes(unsafe.Pointer(data), n)
		}
		p, size, err := parseExtradata(f.codec, extra)
		if err != nil {
			return fmt.Errorf("demux: %s: %s configuration: %w: %w", f.path, f.codec, ErrFormat, err)
		}
		f.params, f.lenSize = p, size
	}
	return f.prime()
}

// prime reads up to the first key unit, which sets the time origin and
// fills parameter sets the container did not carry.
func (f *File) prime() error {
	for {
		au, err := f.read()
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("demux: %s: %w: no %s key frame", f.path, ErrNoVideo, f.codec)
		}
		if err != nil {
			return err
		}
		if !au.Key {
			continue
		}
		f.origin = au.PTS
		f.first = &au
		f.params = f.params.Fill(au.NALUs)
		if f.w <= 0 || f.h <= 0 {
			f.w, f.h = spsSize(f.params)
		}
		return nil
	}
}

// Params returns the codec (H.264 for a transcoded file) and the parameter
// sets (SPS/PPS, plus VPS for H.265): from the container's extradata (avcC,
// hvcC or Annex-B), completed from the first key unit (for a transcoded
// file, the encoder's). The slices are shared; do not modify them.
func (f *File) Params() media.Params { return f.params }

// Transcoded reports whether the file's video is re-encoded to H.264, and
// from which libavcodec codec (e.g. "mpeg4"); the name is "" when not.
func (f *File) Transcoded() (bool, string) {
	if f.tc == nil {
		return false, ""
	}
	return true, f.from
}

// Duration is the container's duration (0 when unknown).
func (f *File) Duration() time.Duration { return f.duration }

// Size is the picture size (for a transcoded file, cropped to even).
func (f *File) Size() (w, h int) { return f.w, f.h }

// Skipped counts packets (and, when transcoding, pictures) skipped as
// corrupt: flagged by the demuxer, with broken NAL unit framing, or rejected
// by the decoder.
func (f *File) Skipped() int { return f.skipped }

// Close releases everything. It is idempotent; Next after Close returns an
// error.
func (f *File) Close() error {
	if f.c == nil {
		return nil
	}
	f.cleanup.Stop()
	if f.tc != nil {
		f.tc.enc.Close()
	}
	C.pdx_close(f.c)
	f.c = nil
	f.first = nil
	return nil
}
