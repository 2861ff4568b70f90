package av

import (
	"testing"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"github.com/patrol-city/patrol/internal/media"
)

var codecs = []media.Codec{media.H264, media.H265}

// synthFrame draws frame i of a smooth moving gradient with a bright square,
// easy to compress but changing every frame.
func synthFrame(w, h, i int) *media.Image {
	img := &media.Image{Width: w, Height: h, BGR: make([]byte, 3*w*h)}
	sx, sy := (i*7)%(w-32), (i*3)%(h-32)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := 3 * (y*w + x)
			img.BGR[p+0] = byte((x + 2*i) * 255 / (w + 2*i))
			img.BGR[p+1] = byte(y * 255 / h)
			img.BGR[p+2] = byte(((x+y)/2 + 4*i) % 256)
			if x >= sx && x < sx+32 && y >= sy && y < sy+32 {
				img.BGR[p+0], img.BGR[p+1], img.BGR[p+2] = 230, 230, 230
			}
		}
	}
	return img
}

// encoded is one access unit from the encoder.
type encoded struct {
	nalus [][]byte
	key   bool
}

// encodeN encodes n synthetic frames and returns the access units together
// with the source images.
func encodeN(tb testing.TB, codec media.Codec, w, h, n, gop int) ([]encoded, []*media.Image) {
	tb.Helper()
	enc, err := NewEncoder(EncoderConfig{Codec: codec, Width: w, Height: h, FPS: 10, GOP: gop})
	if err != nil {
		tb.Fatal(err)
	}
	defer enc.Close()
	aus := make([]encoded, 0, n)
	imgs := make([]*media.Image, 0, n)
	for i := 0; i < n; i++ {
		img := synthFrame(w, h, i)
		nalus, key, err := enc.Encode(img)
		if err != nil {
			tb.Fatalf("encode frame %d: %v", i, err)
		}
		if len(nalus) == 0 {
			tb.Fatalf("encode frame %d: no output (encoder not zero-latency)", i)
		}
		aus = append(aus, encoded{nalus: nalus, key: key})
		imgs = append(imgs, img)
	}
	return aus, imgs
}

// meanAbsErr is the mean absolute difference between two BGR images.
func meanAbsErr(tb testing.TB, a, b *media.Image) float64 {
	tb.Helper()
	if a.Width != b.Width || a.Height != b.Height || len(a.BGR) != len(b.BGR) {
		tb.Fatalf("size mismatch: %dx%d (%d) vs %dx%d (%d)",
			a.Width, a.Height, len(a.BGR), b.Width, b.Height, len(b.BGR))
	}
	var sum int64
	for i := range a.BGR {
		d := int64(a.BGR[i]) - int64(b.BGR[i])
		if d < 0 {
			d = -d
		}
		sum += d
	}
	return float64(sum) / float64(len(a.BGR))
}

// naluTypes returns the NAL unit types of an access unit.
func naluTypes(codec media.Codec, nalus [][]byte) []int {
	var out []int
	for _, n := range nalus {
		if codec == media.H264 {
			out = append(out, int(h264.NALUType(n[0]&0x1f)))
		} else {
			out = append(out, int(h265.NALUType((n[0]>>1)&0x3f)))
		}
	}
	return out
}

// typeNames is naluTypes rendered with mediacommon's names, for messages.
func typeNames(codec media.Codec, nalus [][]byte) []string {
	var out []string
	for _, t := range naluTypes(codec, nalus) {
		if codec == media.H264 {
			out = append(out, h264.NALUType(t).String())
		} else {
			out = append(out, h265.NALUType(t).String())
		}
	}
	return out
}

func hasType(types []int, t int) bool {
	for _, x := range types {
		if x == t {
			return true
		}
	}
	return false
}

// requiredKeyTypes are the NAL types a self-contained keyframe must carry.
func requiredKeyTypes(codec media.Codec) []int {
	if codec == media.H264 {
		return []int{int(h264.NALUTypeSPS), int(h264.NALUTypePPS), int(h264.NALUTypeIDR)}
	}
	return []int{int(h265.NALUType_VPS_NUT), int(h265.NALUType_SPS_NUT), int(h265.NALUType_PPS_NUT)}
}

// isIRAP reports whether the unit contains an IDR (H.264) or IRAP (H.265)
// slice.
func isIRAP(codec media.Codec, nalus [][]byte) bool {
	for _, t := range naluTypes(codec, nalus) {
		if codec == media.H264 && t == int(h264.NALUTypeIDR) {
			return true
		}
		if codec == media.H265 && t >= int(h265.NALUType_BLA_W_LP) && t <= int(h265.NALUType_CRA_NUT) {
			return true
		}
	}
	return false
}
