package av

import (
	"strings"
	"testing"

	"github.com/patrol-city/patrol/internal/media"
)

func TestEncoderConfigValidation(t *testing.T) {
	ok := EncoderConfig{Codec: media.H264, Width: 64, Height: 48, FPS: 10}
	bad := map[string]func(c *EncoderConfig){
		"zero width":    func(c *EncoderConfig) { c.Width = 0 },
		"odd width":     func(c *EncoderConfig) { c.Width = 63 },
		"odd height":    func(c *EncoderConfig) { c.Height = 47 },
		"neg height":    func(c *EncoderConfig) { c.Height = -2 },
		"huge":          func(c *EncoderConfig) { c.Width, c.Height = 1<<14, 1<<14 },
		"zero fps":      func(c *EncoderConfig) { c.FPS = 0 },
		"neg gop":       func(c *EncoderConfig) { c.GOP = -1 },
		"neg bitrate":   func(c *EncoderConfig) { c.Bitrate = -1 },
		"bad preset":    func(c *EncoderConfig) { c.Preset = "warp-speed" },
		"bad preset265": func(c *EncoderConfig) { c.Codec, c.Preset = media.H265, "warp-speed" },
	}
	for name, mutate := range bad {
		t.Run(name, func(t *testing.T) {
			cfg := ok
			mutate(&cfg)
			if e, err := NewEncoder(cfg); err == nil {
				e.Close()
				t.Fatalf("NewEncoder(%+v) succeeded, want error", cfg)
			}
		})
	}

	e, err := NewEncoder(ok)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.cfg.GOP != 10 || e.cfg.Bitrate != 1_000_000 || e.cfg.Preset != "ultrafast" {
		t.Errorf("defaults not applied: %+v", e.cfg)
	}
}

func TestEncodeBadImage(t *testing.T) {
	for _, codec := range codecs {
		t.Run(string(codec), func(t *testing.T) {
			e, err := NewEncoder(EncoderConfig{Codec: codec, Width: 64, Height: 48, FPS: 10})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			bad := []*media.Image{
				nil,
				synthFrame(66, 48, 0),
				synthFrame(64, 50, 0),
				{Width: 64, Height: 48, BGR: make([]byte, 3*64*48-1)},
				{Width: 64, Height: 48, BGR: make([]byte, 3*64*48+3)},
				{Width: 64, Height: 48},
			}
			for i, img := range bad {
				if _, _, err := e.Encode(img); err == nil {
					t.Errorf("bad image %d: want error", i)
				}
			}
			nalus, key, err := e.Encode(synthFrame(64, 48, 0))
			if err != nil || !key || len(nalus) == 0 {
				t.Fatalf("good image after bad ones: %d nalus key=%v err=%v", len(nalus), key, err)
			}
		})
	}
}

func TestEncoderPresetAndBitrate(t *testing.T) {
	// A higher bitrate and slower preset must still round-trip, and should
	// not produce a smaller stream than the low-bitrate default.
	for _, codec := range codecs {
		t.Run(string(codec), func(t *testing.T) {
			size := func(cfg EncoderConfig) int {
				e, err := NewEncoder(cfg)
				if err != nil {
					t.Fatal(err)
				}
				defer e.Close()
				total := 0
				for i := 0; i < 10; i++ {
					nalus, _, err := e.Encode(synthFrame(cfg.Width, cfg.Height, i))
					if err != nil {
						t.Fatal(err)
					}
					for _, n := range nalus {
						total += len(n)
					}
				}
				return total
			}
			base := EncoderConfig{Codec: codec, Width: 320, Height: 240, FPS: 10}
			low := base
			low.Bitrate = 50_000
			high := base
			high.Bitrate, high.Preset = 4_000_000, "veryfast"
			ls, hs := size(low), size(high)
			t.Logf("50 kbit/s: %d bytes, 4 Mbit/s veryfast: %d bytes", ls, hs)
			if hs <= ls {
				t.Errorf("high bitrate stream (%d B) not larger than low bitrate (%d B)", hs, ls)
			}
		})
	}
}

func TestSplitAnnexB(t *testing.T) {
	in := []byte("junk\x00\x00\x00\x01\x67AB\x00\x00\x01\x68C\x00\x00\x00\x00\x01\x65DE\x00\x00\x01\x00\x00\x01")
	got := media.SplitAnnexB(in)
	want := []string{"\x67AB", "\x68C", "\x65DE"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if string(got[i]) != want[i] {
			t.Errorf("nalu %d: got %q, want %q", i, got[i], want[i])
		}
	}
	if got := media.SplitAnnexB([]byte("no start code")); len(got) != 0 {
		t.Errorf("got %q, want none", got)
	}
	if !strings.Contains(errClosed.Error(), "closed") {
		t.Error("errClosed message")
	}
}

// TestEncodeBFrames: with B-frames the encoder returns every picture once,
// in decoding order (display indices out of order), and DecodeIntra gives
// each key frame's own picture.
func TestEncodeBFrames(t *testing.T) {
	const n, gop = 30, 10
	enc, err := NewEncoder(EncoderConfig{Codec: media.H264, Width: testW, Height: testH, FPS: 10, GOP: gop, BFrames: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	var pkts []Packet
	srcs := make([]*media.Image, n)
	for i := range srcs {
		srcs[i] = synthFrame(testW, testH, i)
		p, err := enc.EncodePacket(srcs[i])
		if err != nil {
			t.Fatal(err)
		}
		if p != nil {
			pkts = append(pkts, *p)
		}
	}
	rest, err := enc.Flush()
	if err != nil {
		t.Fatal(err)
	}
	pkts = append(pkts, rest...)
	if len(pkts) != n {
		t.Fatalf("%d packets for %d pictures", len(pkts), n)
	}
	seen, reordered := map[int64]bool{}, 0
	for i, p := range pkts {
		seen[p.Index] = true
		if i > 0 && p.Index < pkts[i-1].Index {
			reordered++
		}
	}
	if len(seen) != n || reordered == 0 {
		t.Fatalf("indices %d distinct, %d out of order: want %d and some", len(seen), reordered, n)
	}
	dec, err := NewDecoder(media.H264)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	keys := 0
	for _, p := range pkts {
		if !p.Key {
			continue
		}
		keys++
		img, err := dec.DecodeIntra(p.NALUs)
		if err != nil || img == nil {
			t.Fatalf("key frame %d: %v", p.Index, err)
		}
		if mae := meanAbsErr(t, img, srcs[p.Index]); mae >= maxMAE {
			t.Errorf("key frame %d: error %.2f", p.Index, mae)
		}
	}
	if keys != n/gop {
		t.Errorf("%d key frames, want %d", keys, n/gop)
	}
	t.Logf("%d packets, %d out of order, %d key frames", len(pkts), reordered, keys)
}
