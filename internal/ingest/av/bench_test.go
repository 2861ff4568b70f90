package av

import (
	"math/rand"
	"testing"

	"github.com/patrol-city/patrol/internal/media"
)

// texturedFrame is synthFrame plus noise, so that 1080p keyframes have a
// camera-like size rather than the few kB of a clean gradient.
func texturedFrame(w, h, i int) *media.Image {
	img := synthFrame(w, h, i)
	rng := rand.New(rand.NewSource(int64(i)))
	for j := range img.BGR {
		img.BGR[j] = byte(int(img.BGR[j]) + rng.Intn(24) - 12)
	}
	return img
}

func benchDecodeKey(b *testing.B, codec media.Codec) {
	enc, err := NewEncoder(EncoderConfig{Codec: codec, Width: 1920, Height: 1080, FPS: 25, Bitrate: 4_000_000})
	if err != nil {
		b.Fatal(err)
	}
	key, _, err := enc.Encode(texturedFrame(1920, 1080, 0))
	enc.Close()
	if err != nil {
		b.Fatal(err)
	}
	size := 0
	for _, n := range key {
		size += len(n)
	}
	dec, err := NewDecoder(codec)
	if err != nil {
		b.Fatal(err)
	}
	defer dec.Close()
	for b.Loop() {
		img, err := dec.Decode(key)
		if err != nil || img == nil {
			b.Fatalf("img=%v err=%v", img != nil, err)
		}
	}
	b.ReportMetric(float64(size), "keyframe-bytes")
}

// BenchmarkDecodeH264_1080p decodes one 1080p keyframe (to BGR) per op.
func BenchmarkDecodeH264_1080p(b *testing.B) { benchDecodeKey(b, media.H264) }

// BenchmarkDecodeH265_1080p decodes one 1080p keyframe (to BGR) per op.
func BenchmarkDecodeH265_1080p(b *testing.B) { benchDecodeKey(b, media.H265) }

func benchEncode(b *testing.B, codec media.Codec) {
	enc, err := NewEncoder(EncoderConfig{Codec: codec, Width: 1920, Height: 1080, FPS: 25, Bitrate: 4_000_000})
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Close()
	imgs := []*media.Image{texturedFrame(1920, 1080, 0), texturedFrame(1920, 1080, 1)}
	i := 0
	for b.Loop() {
		if _, _, err := enc.Encode(imgs[i%2]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkEncodeH264_1080p encodes one 1080p frame (from BGR) per op,
// ultrafast preset, GOP 25.
func BenchmarkEncodeH264_1080p(b *testing.B) { benchEncode(b, media.H264) }

// BenchmarkEncodeH265_1080p encodes one 1080p frame (from BGR) per op,
// ultrafast preset, GOP 25.
func BenchmarkEncodeH265_1080p(b *testing.B) { benchEncode(b, media.H265) }
