package av

import (
	"errors"
	"testing"

	"github.com/patrol-city/patrol/internal/media"
)

const (
	testW, testH = 320, 240
	testN        = 30
	testGOP      = 10
	maxMAE       = 10.0
)

func TestRoundTrip(t *testing.T) {
	for _, codec := range codecs {
		t.Run(string(codec), func(t *testing.T) {
			aus, imgs := encodeN(t, codec, testW, testH, testN, testGOP)
			dec, err := NewDecoder(codec)
			if err != nil {
				t.Fatal(err)
			}
			defer dec.Close()
			for i, au := range aus {
				img, err := dec.Decode(au.nalus)
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if img == nil {
					t.Fatalf("frame %d: no picture (decoder should be zero-delay)", i)
				}
				if img.Width != testW || img.Height != testH || len(img.BGR) != 3*testW*testH {
					t.Fatalf("frame %d: got %dx%d with %d bytes", i, img.Width, img.Height, len(img.BGR))
				}
				if mae := meanAbsErr(t, img, imgs[i]); mae >= maxMAE {
					t.Errorf("frame %d: mean abs error %.2f >= %v", i, mae, maxMAE)
				} else if i%testGOP == 0 {
					t.Logf("frame %d: mean abs error %.2f", i, mae)
				}
			}
		})
	}
}

func TestKeyframes(t *testing.T) {
	for _, codec := range codecs {
		t.Run(string(codec), func(t *testing.T) {
			aus, _ := encodeN(t, codec, testW, testH, testN, testGOP)
			for i, au := range aus {
				wantKey := i%testGOP == 0
				if au.key != wantKey {
					t.Errorf("frame %d: key=%v, want %v (types %v)", i, au.key, wantKey, typeNames(codec, au.nalus))
				}
				types := naluTypes(codec, au.nalus)
				if wantKey {
					for _, req := range requiredKeyTypes(codec) {
						if !hasType(types, req) {
							t.Errorf("keyframe %d: missing NAL type %d, have %v", i, req, typeNames(codec, au.nalus))
						}
					}
				}
				if got := isIRAP(codec, au.nalus); got != wantKey {
					t.Errorf("frame %d: IRAP slice=%v, want %v (types %v)", i, got, wantKey, typeNames(codec, au.nalus))
				}
				for j, n := range au.nalus {
					if len(n) == 0 || (len(n) >= 3 && n[0] == 0 && n[1] == 0 && (n[2] == 1 || n[2] == 0)) {
						t.Errorf("frame %d nalu %d: empty or starts with a start code", i, j)
					}
				}
			}
		})
	}
}

func TestDecodeFromLaterKeyframe(t *testing.T) {
	for _, codec := range codecs {
		t.Run(string(codec), func(t *testing.T) {
			aus, imgs := encodeN(t, codec, testW, testH, testN, testGOP)

			// Join the stream at the second keyframe.
			dec, err := NewDecoder(codec)
			if err != nil {
				t.Fatal(err)
			}
			defer dec.Close()
			for i := testGOP; i < len(aus); i++ {
				img, err := dec.Decode(aus[i].nalus)
				if err != nil || img == nil {
					t.Fatalf("frame %d: img=%v err=%v", i, img != nil, err)
				}
				if mae := meanAbsErr(t, img, imgs[i]); mae >= maxMAE {
					t.Errorf("frame %d: mean abs error %.2f", i, mae)
				}
			}

			// Keyframes only, newest first, each on its own.
			kdec, err := NewDecoder(codec)
			if err != nil {
				t.Fatal(err)
			}
			defer kdec.Close()
			n := 0
			for i := len(aus) - 1; i >= 0; i-- {
				if !aus[i].key {
					continue
				}
				img, err := kdec.Decode(aus[i].nalus)
				if err != nil || img == nil {
					t.Fatalf("keyframe %d: img=%v err=%v", i, img != nil, err)
				}
				if mae := meanAbsErr(t, img, imgs[i]); mae >= maxMAE {
					t.Errorf("keyframe %d: mean abs error %.2f", i, mae)
				}
				n++
			}
			if n != testN/testGOP {
				t.Errorf("decoded %d keyframes, want %d", n, testN/testGOP)
			}
		})
	}
}

func TestDecodeWithoutKeyframe(t *testing.T) {
	for _, codec := range codecs {
		t.Run(string(codec), func(t *testing.T) {
			aus, _ := encodeN(t, codec, testW, testH, testGOP+1, testGOP)
			dec, err := NewDecoder(codec)
			if err != nil {
				t.Fatal(err)
			}
			defer dec.Close()
			for i := 1; i < testGOP; i++ {
				img, err := dec.Decode(aus[i].nalus)
				if err != nil && !errors.Is(err, ErrDecode) {
					t.Fatalf("frame %d: unexpected error %v", i, err)
				}
				if img != nil {
					t.Fatalf("frame %d: got a picture before any keyframe", i)
				}
			}
			if img, err := dec.Decode(aus[testGOP].nalus); err != nil || img == nil {
				t.Fatalf("keyframe after P-frames: img=%v err=%v", img != nil, err)
			}
		})
	}
}

func TestResolutionChange(t *testing.T) {
	for _, codec := range codecs {
		t.Run(string(codec), func(t *testing.T) {
			small, _ := encodeN(t, codec, 160, 120, 3, 3)
			big, _ := encodeN(t, codec, 640, 360, 3, 3)
			dec, err := NewDecoder(codec)
			if err != nil {
				t.Fatal(err)
			}
			defer dec.Close()
			for round, aus := range [][]encoded{small, big, small} {
				for i, au := range aus {
					img, err := dec.Decode(au.nalus)
					if err != nil || img == nil {
						t.Fatalf("round %d frame %d: img=%v err=%v", round, i, img != nil, err)
					}
					want := synthFrame(160, 120, i)
					if round == 1 {
						want = synthFrame(640, 360, i)
					}
					if mae := meanAbsErr(t, img, want); mae >= maxMAE {
						t.Errorf("round %d frame %d: mean abs error %.2f", round, i, mae)
					}
				}
			}
		})
	}
}

func TestUnsupportedCodec(t *testing.T) {
	for _, c := range []media.Codec{"", "mjpeg", "H264", "vp8"} {
		if d, err := NewDecoder(c); !errors.Is(err, media.ErrUnsupportedCodec) {
			t.Errorf("NewDecoder(%q): err=%v, want ErrUnsupportedCodec", c, err)
			if d != nil {
				d.Close()
			}
		}
		cfg := EncoderConfig{Codec: c, Width: 64, Height: 64, FPS: 10}
		if e, err := NewEncoder(cfg); !errors.Is(err, media.ErrUnsupportedCodec) {
			t.Errorf("NewEncoder(%q): err=%v, want ErrUnsupportedCodec", c, err)
			if e != nil {
				e.Close()
			}
		}
	}
}

func TestCloseIdempotent(t *testing.T) {
	aus, _ := encodeN(t, media.H264, 64, 64, 1, 1)
	dec, err := NewDecoder(media.H264)
	if err != nil {
		t.Fatal(err)
	}
	dec.Close()
	dec.Close()
	if img, err := dec.Decode(aus[0].nalus); err == nil || img != nil {
		t.Errorf("Decode after Close: img=%v err=%v, want error", img != nil, err)
	}
	enc, err := NewEncoder(EncoderConfig{Codec: media.H264, Width: 64, Height: 64, FPS: 10})
	if err != nil {
		t.Fatal(err)
	}
	enc.Close()
	enc.Close()
	if _, _, err := enc.Encode(synthFrame(64, 64, 0)); err == nil {
		t.Error("Encode after Close: want error")
	}
}
