package media

import (
	"bytes"
	"testing"
)

func TestParams(t *testing.T) {
	h264SPS, h264PPS, idr := []byte{0x67, 1, 2}, []byte{0x68, 3}, []byte{0x65, 9}
	h265VPS, h265SPS, h265PPS := []byte{0x40, 1, 1}, []byte{0x42, 1, 2}, []byte{0x44, 1, 3}
	for _, tc := range []struct {
		name  string
		codec Codec
		nalu  []byte
		want  ParamSet
	}{
		{"h264 sps", H264, h264SPS, SPS},
		{"h264 pps", H264, h264PPS, PPS},
		{"h264 idr", H264, idr, NotParamSet},
		{"h265 vps", H265, h265VPS, VPS},
		{"h265 sps", H265, h265SPS, SPS},
		{"h265 pps", H265, h265PPS, PPS},
		{"empty", H264, nil, NotParamSet},
	} {
		if got := ParamSetOf(tc.codec, tc.nalu); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	newSPS := []byte{0x67, 7, 7}
	p := Params{Codec: H264}.InBand([][]byte{h264SPS, h264PPS, idr})
	if !bytes.Equal(p.SPS, h264SPS) || !bytes.Equal(p.PPS, h264PPS) {
		t.Fatalf("InBand: %+v", p)
	}
	h264SPS[1] = 99 // the caller's buffer is reused: p keeps its copy
	if p.SPS[1] != 1 {
		t.Fatal("InBand did not copy")
	}
	if q := p.InBand([][]byte{newSPS}); !bytes.Equal(q.SPS, newSPS) {
		t.Fatal("InBand: the latest SPS does not win")
	}
	if q := p.Fill([][]byte{newSPS}); bytes.Equal(q.SPS, newSPS) {
		t.Fatal("Fill replaced an SPS it had")
	}
	if q := (Params{Codec: H265}).Fill([][]byte{h265VPS, h265SPS, h265PPS}); q.VPS == nil || q.SPS == nil || q.PPS == nil {
		t.Fatalf("Fill H.265: %+v", q)
	}
}
