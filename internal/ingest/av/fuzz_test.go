package av

import (
	"testing"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/patrol-city/patrol/internal/media"
)

func FuzzDecodeH264(f *testing.F) { fuzzDecode(f, media.H264) }

func FuzzDecodeH265(f *testing.F) { fuzzDecode(f, media.H265) }

// fuzzDecode feeds fuzz bytes, split into NAL units at Annex-B start codes
// (or as one NAL unit when there are none), to a fresh decoder, then checks
// that a real keyframe still decodes.
func fuzzDecode(f *testing.F, codec media.Codec) {
	aus, _ := encodeN(f, codec, 64, 48, 4, 2)
	marshal := func(nalus ...[][]byte) []byte {
		var all h264.AnnexB
		for _, n := range nalus {
			all = append(all, n...)
		}
		b, err := all.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	for _, au := range aus {
		f.Add(marshal(au.nalus))
	}
	f.Add(marshal(aus[0].nalus, aus[1].nalus))
	f.Add(marshal(aus[0].nalus[:len(aus[0].nalus)-1]))
	f.Add(aus[0].nalus[len(aus[0].nalus)-1])
	f.Add([]byte{})
	key := aus[2].nalus

	f.Fuzz(func(t *testing.T, data []byte) {
		nalus := media.SplitAnnexB(data)
		if len(nalus) == 0 {
			nalus = [][]byte{data}
		}
		dec, err := NewDecoder(codec)
		if err != nil {
			t.Fatal(err)
		}
		defer dec.Close()
		checkDecode(t, dec, nalus)
		checkDecode(t, dec, nalus)
		// The decoder must recover: a real keyframe yields its picture. A
		// corrupt stream may have left pictures in the reorder buffer that
		// the keyframe bumps out first, so allow a few attempts.
		for i := 0; ; i++ {
			img := checkDecode(t, dec, key)
			if img != nil && img.Width == 64 && img.Height == 48 {
				break
			}
			if i == 3 {
				t.Fatal("decoder did not recover after fuzz input")
			}
		}
	})
}
