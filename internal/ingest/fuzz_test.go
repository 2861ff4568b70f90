package ingest

import (
	"testing"

	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/pion/rtp"

	"github.com/patrol-city/patrol/internal/ingest/av"
	"github.com/patrol-city/patrol/internal/media"
)

// rtpChain is the receive path of a camera from RTP payload to the decoder's
// input: depacketizer, parameter-set tracking, key detection and the SPS
// guard. With decode set it also decodes; the fuzz target leaves decoding
// to av's own fuzz targets (FuzzDecodeH264/H265), because under the fuzzing
// engine FFmpeg 5.1's decoder can spin for a very long time on some inputs,
// which stalls the fuzz worker instead of finding bugs in our code.
type rtpChain struct {
	codec  media.Codec
	depay  func(*rtp.Packet) ([][]byte, error)
	params media.Params
	dec    *av.Decoder
	decode bool
	units  int
}

func newRTPChain(t testing.TB, codec media.Codec) *rtpChain {
	c := &rtpChain{codec: codec, params: media.Params{Codec: codec}}
	var err error
	switch codec {
	case media.H264:
		f := &format.H264{PayloadTyp: 96, PacketizationMode: 1}
		d, e := f.CreateDecoder()
		c.depay, err = d.Decode, e
	case media.H265:
		f := &format.H265{PayloadTyp: 96}
		d, e := f.CreateDecoder()
		c.depay, err = d.Decode, e
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// withDecoder adds the decoder to the chain.
func (c *rtpChain) withDecoder(t testing.TB) *rtpChain {
	dec, err := av.NewDecoder(c.codec)
	if err != nil {
		t.Fatal(err)
	}
	c.dec, c.decode = dec, true
	return c
}

func (c *rtpChain) feed(pkt *rtp.Packet) {
	nalus, err := c.depay(pkt)
	if err != nil || len(nalus) == 0 {
		return
	}
	c.params = c.params.InBand(nalus)
	_ = isKey(c.codec, nalus)
	if checkSPS(c.codec, nalus, DefaultMaxPixels) != nil {
		return
	}
	c.units++
	if c.decode {
		_, _ = c.dec.Decode(cloneNALUs(nalus))
	}
}

// seedPackets packetizes a few real encoded pictures.
func seedPackets(t testing.TB, codec media.Codec) [][]byte {
	st := testStream(t, codec, 10, 5, 6)
	var f format.Format
	if codec == media.H264 {
		f = &format.H264{PayloadTyp: 96, PacketizationMode: 1}
	} else {
		f = &format.H265{PayloadTyp: 96}
	}
	var out [][]byte
	for _, au := range st.Units {
		var pkts []*rtp.Packet
		var err error
		switch f := f.(type) {
		case *format.H264:
			enc, _ := f.CreateEncoder()
			pkts, err = enc.Encode(au.NALUs)
		case *format.H265:
			enc, _ := f.CreateEncoder()
			pkts, err = enc.Encode(au.NALUs)
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkts {
			b, _ := p.Marshal()
			out = append(out, b)
		}
	}
	return out
}

// FuzzRTPToFrame feeds arbitrary bytes, split into RTP packets, through the
// whole receive path. Nothing may panic or abort; bad input is dropped.
func FuzzRTPToFrame(f *testing.F) {
	for _, codec := range []media.Codec{media.H264, media.H265} {
		pkts := seedPackets(f, codec)
		flag := byte(0)
		if codec == media.H265 {
			flag = 1
		}
		var joined []byte
		for _, p := range pkts[:min(len(pkts), 12)] {
			joined = append(joined, byte(len(p)>>8), byte(len(p)))
			joined = append(joined, p...)
		}
		f.Add(append([]byte{flag}, joined...))
	}
	f.Add([]byte{0, 0, 3, 1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 1 {
			return
		}

		codec := media.H264
		if data[0]&1 == 1 {
			codec = media.H265
		}
		c := newRTPChain(t, codec)
		rest := data[1:]
		for len(rest) >= 2 {
			n := int(rest[0])<<8 | int(rest[1])
			rest = rest[2:]
			if n > len(rest) {
				n = len(rest)
			}
			var pkt rtp.Packet
			if err := pkt.Unmarshal(rest[:n]); err != nil {
				pkt = rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96}, Payload: rest[:n]}
			}
			c.feed(&pkt)
			rest = rest[n:]
		}
	})
}

// TestRTPChainDecodesSeeds checks the chain end to end on real packets.
func TestRTPChainDecodesSeeds(t *testing.T) {
	for _, codec := range []media.Codec{media.H264, media.H265} {
		c := newRTPChain(t, codec).withDecoder(t)
		pictures := 0
		for _, b := range seedPackets(t, codec) {
			var pkt rtp.Packet
			if err := pkt.Unmarshal(b); err != nil {
				t.Fatal(err)
			}
			nalus, err := c.depay(&pkt)
			if err != nil || len(nalus) == 0 {
				continue
			}
			c.params = c.params.InBand(nalus)
			if img, err := c.dec.Decode(cloneNALUs(nalus)); err == nil && img != nil {
				pictures++
			}
		}
		c.dec.Close()
		if pictures != 6 || c.params.SPS == nil || c.params.PPS == nil {
			t.Errorf("%s: %d pictures decoded, params %v", codec, pictures, c.params.SPS != nil)
		}
	}
}
