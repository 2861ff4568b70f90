// Package clip writes evidence clips: access units of a camera's
// compressed stream (H.264, H.265) into a progressive MP4 without
// re-encoding, with exact 90 kHz timing and B-frame composition offsets.
// Pure Go (mediacommon), it builds with CGO_ENABLED=0.
package clip

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/pmp4"

	"github.com/patrol-city/patrol/internal/media"
)

// Timescale is the MP4 track timescale of clips written by Write:
// 90 kHz, the RTP video clock.
const Timescale = media.VideoClockRate

// DefaultFPS is the frame rate Write assumes for the duration of a
// clip's last sample when the clip has a single access unit and the SPS
// carries no timing information.
const DefaultFPS = 30

// maxClipPayload bounds the sample data of one clip: a progressive MP4 as
// written by pmp4 uses 32-bit chunk offsets, and the moov box comes first.
const maxClipPayload = math.MaxUint32 - 64<<20

// ErrNoKeyframe is returned by Write when the first access unit is
// not a random access point, so the clip could not be decoded from its start.
var ErrNoKeyframe = errors.New("publisher: clip does not start with a keyframe")

// ErrEmpty is returned by Write when there are no access units.
var ErrEmpty = errors.New("publisher: clip has no access units")

// Write writes the access units (in decoding order) to w as a progressive
// MP4 (ftyp, moov, then mdat; not fragmented) with a single video track,
// without re-encoding, so that a browser can play it directly (H.264 in
// avc1; H.265 in hvc1 plays only where the browser has HEVC support).
//
// The track timescale is Timescale (90 kHz). Sample timing comes from the
// units' PTS: decoding timestamps are the sorted presentation timestamps, each
// sample lasts until the next one, and the last sample gets the duration of
// the one before it (or 1/fps from the SPS, else 1/DefaultFPS, when the
// clip has one unit). Reordered streams (B-frames) get composition offsets
// and an edit list. Samples are stored length-prefixed (AVCC); parameter-set
// NALUs equal to the ones in the sample entry are stripped from them, while
// differing ones (a mid-clip change) are kept in band. Zero-length NALUs are
// dropped. Units with Key set are marked as sync samples.
//
// Parameter sets come from params; any of SPS, PPS (and VPS for H.265) that
// is empty is taken from the NALUs of the first unit. The first unit must be
// a key unit (ErrNoKeyframe otherwise) and units must not be empty
// (ErrEmpty). Write writes nothing to w when it rejects its input.
// It returns the clip's duration (the sum of the sample durations).
func Write(w io.Writer, params media.Params, units []media.AccessUnit) (time.Duration, error) {
	if len(units) == 0 {
		return 0, ErrEmpty
	}
	if !units[0].Key {
		return 0, ErrNoKeyframe
	}
	codec, fps, err := clipCodec(params, units[0])
	if err != nil {
		return 0, err
	}
	track, total, err := clipTrack(codec, fps, units)
	if err != nil {
		return 0, err
	}
	p := pmp4.Presentation{Tracks: []*pmp4.Track{track}}
	if err := p.Marshal(w); err != nil {
		return 0, fmt.Errorf("publisher: write clip: %w", err)
	}
	return ticksToDuration(total), nil
}

// clipCodec builds the MP4 sample entry codec from params, filling missing
// parameter sets from the first unit, and reports the SPS frame rate (0 if
// unknown).
func clipCodec(params media.Params, first media.AccessUnit) (mp4.Codec, float64, error) {
	params = params.Fill(first.NALUs)
	vps, sps, pps := params.VPS, params.SPS, params.PPS
	switch params.Codec {
	case media.H264:
		if len(sps) == 0 || len(pps) == 0 {
			return nil, 0, errors.New("publisher: clip: H.264 SPS or PPS missing from params and first unit")
		}
		var s h264.SPS
		if err := s.Unmarshal(sps); err != nil {
			return nil, 0, fmt.Errorf("publisher: clip: invalid H.264 SPS: %w", err)
		}
		if s.Width() <= 0 || s.Height() <= 0 {
			return nil, 0, errors.New("publisher: clip: H.264 SPS has no picture size")
		}
		return &mp4.CodecH264{SPS: sps, PPS: pps}, s.FPS(), nil
	case media.H265:
		if len(vps) == 0 || len(sps) == 0 || len(pps) == 0 {
			return nil, 0, errors.New("publisher: clip: H.265 VPS, SPS or PPS missing from params and first unit")
		}
		var s h265.SPS
		if err := s.Unmarshal(sps); err != nil {
			return nil, 0, fmt.Errorf("publisher: clip: invalid H.265 SPS: %w", err)
		}
		if s.Width() <= 0 || s.Height() <= 0 {
			return nil, 0, errors.New("publisher: clip: H.265 SPS has no picture size")
		}
		return &mp4.CodecH265{VPS: vps, SPS: sps, PPS: pps}, s.FPS(), nil
	default:
		return nil, 0, fmt.Errorf("publisher: clip: codec %q: %w", params.Codec, media.ErrUnsupportedCodec)
	}
}

// paramSetIn reports whether nalu is a parameter set that the sample entry
// already carries.
func paramSetIn(codec mp4.Codec, nalu []byte) bool {
	var p media.Params
	switch cc := codec.(type) {
	case *mp4.CodecH264:
		p = media.Params{Codec: media.H264, SPS: cc.SPS, PPS: cc.PPS}
	case *mp4.CodecH265:
		p = media.Params{Codec: media.H265, VPS: cc.VPS, SPS: cc.SPS, PPS: cc.PPS}
	default:
		return false
	}
	switch media.ParamSetOf(p.Codec, nalu) {
	case media.VPS:
		return bytes.Equal(nalu, p.VPS)
	case media.SPS:
		return bytes.Equal(nalu, p.SPS)
	case media.PPS:
		return bytes.Equal(nalu, p.PPS)
	}
	return false
}

// clipTrack builds the video track and returns it with its total duration in
// Timescale ticks.
func clipTrack(codec mp4.Codec, fps float64, units []media.AccessUnit) (*pmp4.Track, int64, error) {
	n := len(units)
	minPTS := units[0].PTS
	for _, u := range units[1:] {
		minPTS = min(minPTS, u.PTS)
	}
	pts := make([]int64, n)
	for i, u := range units {
		pts[i] = durationToTicks(u.PTS - minPTS)
	}
	// Decoding timestamps: presentation timestamps in increasing order, kept
	// strictly increasing so that every sample has a positive duration.
	dts := slices.Clone(pts)
	slices.Sort(dts)
	for i := 1; i < n; i++ {
		dts[i] = max(dts[i], dts[i-1]+1)
	}
	shift := int64(0) // delay of composition times so that offsets are >= 0
	for i := range n {
		shift = max(shift, dts[i]-pts[i])
	}
	last := int64(Timescale / DefaultFPS)
	if n >= 2 {
		last = dts[n-1] - dts[n-2]
	} else if fps >= 1 && fps <= 1000 {
		last = int64(math.Round(Timescale / fps))
	}
	total := dts[n-1] - dts[0] + last
	if total > math.MaxUint32 || shift > math.MaxInt32 {
		return nil, 0, fmt.Errorf("publisher: clip: %v is too long for one MP4 clip", ticksToDuration(total))
	}

	samples := make([]*pmp4.Sample, n)
	var payload int64
	for i, u := range units {
		nalus := make(h264.AVCC, 0, len(u.NALUs))
		size := 0
		for _, nalu := range u.NALUs {
			if len(nalu) == 0 || paramSetIn(codec, nalu) {
				continue
			}
			nalus = append(nalus, nalu)
			size += 4 + len(nalu)
		}
		if len(nalus) == 0 {
			return nil, 0, fmt.Errorf("publisher: clip: access unit %d has no NALUs besides parameter sets", i)
		}
		payload += int64(size)
		if payload > maxClipPayload {
			return nil, 0, fmt.Errorf("publisher: clip: sample data exceeds %d bytes", int64(maxClipPayload))
		}
		dur := last
		if i+1 < n {
			dur = dts[i+1] - dts[i]
		}
		offset := pts[i] + shift - dts[i]
		if offset > math.MaxInt32 {
			return nil, 0, fmt.Errorf("publisher: clip: access unit %d is reordered too far", i)
		}
		samples[i] = &pmp4.Sample{
			Duration:        uint32(dur),
			PTSOffset:       int32(offset),
			IsNonSyncSample: !u.Key,
			PayloadSize:     uint32(size),
			GetPayload:      nalus.Marshal,
		}
	}
	return &pmp4.Track{
		ID:         1,
		TimeScale:  Timescale,
		TimeOffset: -int32(shift),
		Codec:      codec,
		Samples:    samples,
	}, total, nil
}

// durationToTicks converts a duration to Timescale ticks (exact for any
// length, see media.DurationToTicks).
func durationToTicks(d time.Duration) int64 { return media.DurationToTicks(d, Timescale) }

// ticksToDuration converts Timescale ticks to a duration.
func ticksToDuration(t int64) time.Duration { return media.TicksToDuration(t, Timescale) }
