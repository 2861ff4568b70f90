package media

import (
	"bytes"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
)

// ParamSet names the kind of a parameter-set NAL unit.
type ParamSet int

// Parameter-set kinds; NotParamSet for every other NAL unit.
const (
	NotParamSet ParamSet = iota
	VPS
	SPS
	PPS
)

// ParamSetOf reports which parameter set nalu is, for codec c.
func ParamSetOf(c Codec, nalu []byte) ParamSet {
	if len(nalu) == 0 {
		return NotParamSet
	}
	switch c {
	case H264:
		switch h264.NALUType(nalu[0] & 0x1f) {
		case h264.NALUTypeSPS:
			return SPS
		case h264.NALUTypePPS:
			return PPS
		}
	case H265:
		switch h265.NALUType((nalu[0] >> 1) & 0x3f) {
		case h265.NALUType_VPS_NUT:
			return VPS
		case h265.NALUType_SPS_NUT:
			return SPS
		case h265.NALUType_PPS_NUT:
			return PPS
		}
	}
	return NotParamSet
}

// slot returns the field of p holding parameter sets of kind k.
func (p *Params) slot(k ParamSet) *[]byte {
	switch k {
	case VPS:
		return &p.VPS
	case SPS:
		return &p.SPS
	case PPS:
		return &p.PPS
	}
	return nil
}

// InBand returns p updated with the parameter sets carried in nalus (the
// latest wins). Changed sets are copied, since callers' buffers may be
// reused; unchanged ones keep their storage.
func (p Params) InBand(nalus [][]byte) Params {
	for _, n := range nalus {
		if f := p.slot(ParamSetOf(p.Codec, n)); f != nil && !bytes.Equal(*f, n) {
			*f = append([]byte(nil), n...)
		}
	}
	return p
}

// Fill returns p with its missing parameter sets taken from nalus; sets p
// already has are kept.
func (p Params) Fill(nalus [][]byte) Params {
	for _, n := range nalus {
		if f := p.slot(ParamSetOf(p.Codec, n)); f != nil && len(*f) == 0 {
			*f = append([]byte(nil), n...)
		}
	}
	return p
}

// Prepend returns nalus preceded by those of p's parameter sets that nalus
// does not carry itself, in VPS, SPS, PPS order, so that a key unit
// decodes on its own even when the camera announces its parameter sets
// only out of band (in the SDP). nalus is returned unchanged when it
// carries them all or p has none to add.
func (p Params) Prepend(nalus [][]byte) [][]byte {
	var have [PPS + 1]bool
	for _, n := range nalus {
		if k := ParamSetOf(p.Codec, n); k != NotParamSet {
			have[k] = true
		}
	}
	var add [][]byte
	for _, k := range []ParamSet{VPS, SPS, PPS} {
		if f := p.slot(k); !have[k] && len(*f) > 0 {
			add = append(add, *f)
		}
	}
	if len(add) == 0 {
		return nalus
	}
	return append(add, nalus...)
}

var annexBStartCode = []byte{0, 0, 1}

// SplitAnnexB splits an Annex-B byte stream into NAL units without start
// codes (each capped at its length, so appending to one cannot overwrite
// the next). Bytes before the first start code are dropped, and so are
// trailing zero bytes of each unit (the leading zero of a 4-byte start
// code or trailing_zero_8bits; a NAL unit never ends in a zero byte).
// Hand-written rather than mediacommon's strict h264.AnnexB: the decoder
// and demuxer take whatever an encoder or a file carries, and this
// tolerance is what their tests and fuzz targets exercise.
func SplitAnnexB(b []byte) [][]byte {
	var out [][]byte
	i := bytes.Index(b, annexBStartCode)
	for i >= 0 {
		b = b[i+3:]
		i = bytes.Index(b, annexBStartCode)
		nalu := b
		if i >= 0 {
			nalu = b[:i]
		}
		nalu = bytes.TrimRight(nalu, "\x00")
		if len(nalu) > 0 {
			out = append(out, nalu[:len(nalu):len(nalu)])
		}
	}
	return out
}
