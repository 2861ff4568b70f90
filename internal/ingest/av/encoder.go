package av

/*
#include <stdlib.h>
#include "cav.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"github.com/patrol-city/patrol/internal/media"
)

// Encoder defaults.
const (
	defaultBitrate = 1_000_000
	defaultPreset  = "ultrafast"
)

// EncoderConfig configures an Encoder.
type EncoderConfig struct {
	// Codec is media.H264 (libx264, falling back to any H.264 encoder) or
	// media.H265 (libx265). Required.
	Codec media.Codec
	// Width and Height of every input image; both must be positive and even,
	// with Width*Height at most 2^25. Required.
	Width, Height int
	// FPS is the frame rate (time base 1/FPS); must be positive. Required.
	FPS int
	// GOP is the keyframe interval in frames; 0 means FPS. Scene-cut
	// keyframes are disabled, so keyframes come exactly every GOP frames.
	GOP int
	// Bitrate is the target bit rate in bits/s; 0 means 1_000_000.
	Bitrate int
	// Preset is the x264/x265 speed preset, one of ultrafast, superfast,
	// veryfast, faster, fast, medium, slow, slower, veryslow, placebo;
	// "" means "ultrafast".
	Preset string
	// BFrames is the number of B-frames between reference frames (H.264
	// only, 0..4; default 0: zero latency, one access unit per image). With
	// B-frames use EncodePacket and Flush: units come out in decoding order,
	// delayed, with their display index.
	BFrames int
}

// Packet is one encoded access unit: its NAL units, whether it is a key
// frame, and its display index (the number of the image it encodes).
type Packet struct {
	NALUs [][]byte
	Key   bool
	Index int64
}

// presets are the speed presets x264 and x265 share.
var presets = map[string]bool{
	"ultrafast": true, "superfast": true, "veryfast": true, "faster": true, "fast": true,
	"medium": true, "slow": true, "slower": true, "veryslow": true, "placebo": true,
}

// withDefaults validates cfg and fills in defaults.
func (cfg EncoderConfig) withDefaults() (EncoderConfig, error) {
	if !cfg.Codec.Valid() {
		return cfg, fmt.Errorf("av: encoder codec %q: %w", string(cfg.Codec), media.ErrUnsupportedCodec)
	}
	switch {
	case cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width%2 != 0 || cfg.Height%2 != 0:
		return cfg, fmt.Errorf("av: encoder size %dx%d: width and height must be positive and even", cfg.Width, cfg.Height)
	case cfg.Width > maxPixels/cfg.Height:
		return cfg, fmt.Errorf("av: encoder size %dx%d exceeds %d pixels", cfg.Width, cfg.Height, maxPixels)
	case cfg.FPS <= 0:
		return cfg, fmt.Errorf("av: encoder FPS %d must be positive", cfg.FPS)
	case cfg.GOP < 0:
		return cfg, fmt.Errorf("av: encoder GOP %d must not be negative", cfg.GOP)
	case cfg.Bitrate < 0:
		return cfg, fmt.Errorf("av: encoder bitrate %d must not be negative", cfg.Bitrate)
	case cfg.BFrames < 0 || cfg.BFrames > 4 || (cfg.BFrames > 0 && cfg.Codec != media.H264):
		return cfg, fmt.Errorf("av: encoder B-frames %d (0..4, H.264 only)", cfg.BFrames)
	}
	if cfg.GOP == 0 {
		cfg.GOP = cfg.FPS
	}
	if cfg.Bitrate == 0 {
		cfg.Bitrate = defaultBitrate
	}
	if cfg.Preset == "" {
		cfg.Preset = defaultPreset
	}
	if !presets[cfg.Preset] {
		return cfg, fmt.Errorf("av: unknown encoder preset %q", cfg.Preset)
	}
	return cfg, nil
}

// Encoder encodes packed BGR24 images into H.264 or H.265 access units,
// by default with zero latency: no B-frames, tune=zerolatency, one access
// unit per image (EncoderConfig.BFrames asks for B-frames).
// Every keyframe carries the parameter sets (SPS/PPS, plus VPS for H.265)
// in-band, so a decoder can start at any keyframe. Input is converted from
// BGR24 to YUV420P (BT.601, limited range, signalled in the VUI). The codec
// picks its own thread count. An Encoder is not safe for concurrent use; call
// Close to free its C resources.
type Encoder struct {
	c       *C.pav_encoder
	cfg     EncoderConfig
	cleanup runtime.Cleanup
	last    *Packet // the packet the last Encode produced (nil: none)
}

// NewEncoder validates cfg, applies its defaults (GOP = FPS, Bitrate =
// 1_000_000 bits/s, Preset = "ultrafast") and opens the encoder. An invalid
// codec yields an error wrapping media.ErrUnsupportedCodec.
func NewEncoder(cfg EncoderConfig) (*Encoder, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	cc, err := cCodec(cfg.Codec)
	if err != nil {
		return nil, err
	}
	initLogging()
	preset := C.CString(cfg.Preset)
	defer C.free(unsafe.Pointer(preset))
	var c *C.pav_encoder
	ret := C.pav_encoder_new(cc, C.int(cfg.Width), C.int(cfg.Height), C.int(cfg.FPS),
		C.int(cfg.GOP), C.int64_t(cfg.Bitrate), preset, C.int(cfg.BFrames), &c)
	if ret < 0 {
		return nil, fmt.Errorf("av: open %s encoder (preset %q): %s", cfg.Codec, cfg.Preset, avError(ret))
	}
	e := &Encoder{c: c, cfg: cfg}
	// Safety net for encoders that are never closed.
	e.cleanup = runtime.AddCleanup(e, func(p *C.pav_encoder) { C.pav_encoder_free(p) }, c)
	return e, nil
}

// Encode encodes one image, which must match the configured size with
// len(img.BGR) == 3*Width*Height. It returns the access unit's NAL units
// without start codes (freshly allocated, owned by the caller) and whether it
// is a keyframe (IDR with SPS/PPS, plus VPS for H.265, in front). With the
// zero-latency settings every call yields exactly one access unit; should an
// encoder ever buffer a frame, Encode returns (nil, false, nil).
func (e *Encoder) Encode(img *media.Image) (nalus [][]byte, key bool, err error) {
	if e.c == nil {
		return nil, false, errClosed
	}
	if img == nil {
		return nil, false, errors.New("av: encode nil image")
	}
	w, h := e.cfg.Width, e.cfg.Height
	if img.Width != w || img.Height != h {
		return nil, false, fmt.Errorf("av: image is %dx%d, encoder expects %dx%d", img.Width, img.Height, w, h)
	}
	if len(img.BGR) != 3*w*h {
		return nil, false, fmt.Errorf("av: image has %d bytes, want 3*%d*%d = %d", len(img.BGR), w, h, 3*w*h)
	}
	copy(cBytes(C.pav_encoder_input(e.c), 3*w*h), img.BGR)
	p, err := e.receive(false)
	if err != nil || p == nil {
		return nil, false, err
	}
	return p.NALUs, p.Key, nil
}

// EncodePacket encodes one image like Encode and returns the access unit
// that came out, with its display index, or nil while the encoder holds
// pictures back (B-frames).
func (e *Encoder) EncodePacket(img *media.Image) (*Packet, error) {
	if _, _, err := e.Encode(img); err != nil {
		return nil, err
	}
	return e.last, nil
}

// Flush returns the access units still buffered after the last image, in
// decoding order. The encoder takes no images afterwards.
func (e *Encoder) Flush() ([]Packet, error) {
	if e.c == nil {
		return nil, errClosed
	}
	var out []Packet
	for {
		p, err := e.receive(true)
		if err != nil || p == nil {
			return out, err
		}
		out = append(out, *p)
	}
}

// receive collects the encoder's next packet (after an image, or while
// flushing); it is also kept as e.last for EncodePacket.
func (e *Encoder) receive(flush bool) (*Packet, error) {
	var data *C.uint8_t
	var size, ckey C.int
	var pts C.int64_t
	var ret C.int
	if flush {
		ret = C.pav_encoder_flush(e.c, &data, &size, &ckey, &pts)
	} else {
		ret = C.pav_encoder_encode(e.c, &data, &size, &ckey, &pts)
	}
	var au []byte
	if ret > 0 && data != nil && size > 0 {
		au = make([]byte, int(size))
		copy(au, cBytes(data, len(au)))
	}
	runtime.KeepAlive(e)
	e.last = nil
	if ret < 0 {
		return nil, fmt.Errorf("av: %s encode: %s", e.cfg.Codec, avError(ret))
	}
	if au == nil {
		return nil, nil
	}
	e.last = &Packet{NALUs: media.SplitAnnexB(au), Key: ckey != 0, Index: int64(pts)}
	return e.last, nil
}

// Close frees the encoder. It is idempotent; Encode after Close returns an
// error. Frames still buffered inside the encoder (none with the
// zero-latency settings) are discarded.
func (e *Encoder) Close() {
	if e.c == nil {
		return
	}
	e.cleanup.Stop()
	C.pav_encoder_free(e.c)
	e.c = nil
}
