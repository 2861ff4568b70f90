package av

import (
	"errors"
	"math/rand"
	"testing"

	"github.com/patrol-city/patrol/internal/media"
)

// checkDecode asserts the contract for arbitrary input: no error other than
// ErrDecode, and a consistent image when there is one.
func checkDecode(tb testing.TB, dec *Decoder, nalus [][]byte) *media.Image {
	tb.Helper()
	img, err := dec.Decode(nalus)
	if err != nil {
		if !errors.Is(err, ErrDecode) {
			tb.Fatalf("error %v does not wrap ErrDecode", err)
		}
		if img != nil {
			tb.Fatalf("both image and error %v", err)
		}
		return nil
	}
	if img != nil && (img.Width <= 0 || img.Height <= 0 || len(img.BGR) != 3*img.Width*img.Height) {
		tb.Fatalf("inconsistent image %dx%d with %d bytes", img.Width, img.Height, len(img.BGR))
	}
	return img
}

// badInputs builds corrupt access units from a real keyframe au of codec and
// a real keyframe other of the other codec.
func badInputs(codec media.Codec, au, other [][]byte) map[string][][]byte {
	rng := rand.New(rand.NewSource(1))
	random := func(n int) []byte {
		b := make([]byte, n)
		rng.Read(b)
		return b
	}
	truncated := make([][]byte, len(au))
	for i, n := range au {
		truncated[i] = n[:len(n)/2]
	}
	lastCut := append([][]byte{}, au[:len(au)-1]...)
	lastCut = append(lastCut, au[len(au)-1][:len(au[len(au)-1])*9/10])
	flipped := make([][]byte, len(au))
	for i, n := range au {
		c := append([]byte{}, n...)
		for j := 1; j < len(c); j += 7 {
			c[j] ^= byte(rng.Intn(256))
		}
		flipped[i] = c
	}
	reversed := make([][]byte, len(au))
	for i, n := range au {
		reversed[len(au)-1-i] = n
	}
	var params, slices, headerBytes, interleaved [][]byte
	for i, typ := range naluTypes(codec, au) {
		if (codec == media.H264 && typ >= 1 && typ <= 5) || (codec == media.H265 && typ < 32) {
			slices = append(slices, au[i])
		} else {
			params = append(params, au[i])
			headerBytes = append(headerBytes, au[i][:min(len(au[i]), 2)])
		}
		interleaved = append(interleaved, nil, au[i], []byte{})
	}
	return map[string][][]byte{
		"nil":              nil,
		"empty":            {},
		"nil nalu":         {nil},
		"empty nalus":      {{}, nil, {}},
		"one byte":         {{0x00}},
		"ff byte":          {{0xff}},
		"zeros":            {make([]byte, 100)},
		"start codes":      {{0, 0, 1, 0, 0, 0, 1, 0, 0, 1}},
		"garbage":          {random(1000)},
		"many garbage":     {random(3), random(50), random(200), random(7), random(4000)},
		"huge garbage":     {random(1 << 20)},
		"truncated":        truncated,
		"last cut":         lastCut,
		"bit flips":        flipped,
		"reversed":         reversed,
		"header bytes":     headerBytes,
		"params only":      params,
		"slices only":      slices,
		"first slice only": append(append([][]byte{}, params...), slices[0]),
		"params truncated": append(append([][]byte{}, headerBytes...), slices...),
		"other codec":      other,
		"duplicated":       append(append([][]byte{}, au...), au...),
		"nil between":      interleaved,
		"forbidden bit":    {{0x80, 0x01, 0x02}},
		"max nalu type":    {{0x1f, 0xff, 0xff}, {0x7e, 0x01, 0xff}},
		"garbage then key": append([][]byte{random(300)}, au...),
	}
}

func TestDecodeBadInput(t *testing.T) {
	keys := map[media.Codec]encoded{}
	srcs := map[media.Codec]*media.Image{}
	for _, codec := range codecs {
		aus, imgs := encodeN(t, codec, testW, testH, 1, 1)
		keys[codec], srcs[codec] = aus[0], imgs[0]
	}
	for _, codec := range codecs {
		other := media.H265
		if codec == media.H265 {
			other = media.H264
		}
		key := keys[codec].nalus
		shared, err := NewDecoder(codec)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(shared.Close)
		checkGood := func(t *testing.T, dec *Decoder) {
			t.Helper()
			img := checkDecode(t, dec, key)
			if img == nil {
				t.Fatal("good keyframe after bad input: no picture")
			}
			if mae := meanAbsErr(t, img, srcs[codec]); mae >= maxMAE {
				t.Fatalf("good keyframe after bad input: mean abs error %.2f", mae)
			}
		}
		for name, bad := range badInputs(codec, key, keys[other].nalus) {
			t.Run(string(codec)+"/"+name, func(t *testing.T) {
				// On a fresh decoder, then on one that has state.
				fresh, err := NewDecoder(codec)
				if err != nil {
					t.Fatal(err)
				}
				defer fresh.Close()
				checkDecode(t, fresh, bad)
				checkDecode(t, fresh, bad)
				checkGood(t, fresh)

				checkDecode(t, shared, bad)
				checkGood(t, shared)
			})
		}
	}
}

func TestDecodeErrorsWrapErrDecode(t *testing.T) {
	// Some input must actually be rejected with ErrDecode, otherwise the
	// error path is untested.
	for _, codec := range codecs {
		dec, err := NewDecoder(codec)
		if err != nil {
			t.Fatal(err)
		}
		sawErr := false
		rng := rand.New(rand.NewSource(2))
		for i := 0; i < 200 && !sawErr; i++ {
			b := make([]byte, 64)
			rng.Read(b)
			if codec == media.H264 {
				b[0] = 0x67 // SPS header
			} else {
				b[0], b[1] = 0x26, 0x01 // IDR_W_RADL slice header
			}
			_, err := dec.Decode([][]byte{b})
			if err != nil {
				if !errors.Is(err, ErrDecode) {
					t.Fatalf("%s: %v does not wrap ErrDecode", codec, err)
				}
				t.Logf("%s: %v", codec, err)
				sawErr = true
			}
		}
		dec.Close()
		if !sawErr {
			t.Errorf("%s: no garbage NAL unit was rejected", codec)
		}
	}
}

func TestDecodeSkipsEmptyNALUs(t *testing.T) {
	for _, codec := range codecs {
		aus, imgs := encodeN(t, codec, testW, testH, 1, 1)
		var interleaved [][]byte
		for _, n := range aus[0].nalus {
			interleaved = append(interleaved, nil, n, []byte{})
		}
		dec, err := NewDecoder(codec)
		if err != nil {
			t.Fatal(err)
		}
		img, err := dec.Decode(interleaved)
		dec.Close()
		if err != nil || img == nil {
			t.Fatalf("%s: img=%v err=%v", codec, img != nil, err)
		}
		if mae := meanAbsErr(t, img, imgs[0]); mae >= maxMAE {
			t.Errorf("%s: mean abs error %.2f", codec, mae)
		}
	}
}

func TestRecoverFromCorruptSPS(t *testing.T) {
	// Found by FuzzDecodeH264: a corrupt SPS (plus PPS and slice) leaves
	// libavcodec with a reorder delay of ~11 pictures, which it never lowers
	// again. The next self-contained keyframe carries a different SPS, so the
	// decoder must restart and show that keyframe at once.
	bad := media.SplitAnnexB([]byte("\x00\x00\x01'000\xda2\xe9200000000\x1e21\x00\x00\x01(\xce\x00\x00\x01A712"))
	aus, imgs := encodeN(t, media.H264, 64, 48, 3, 2)
	dec, err := NewDecoder(media.H264)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	for _, start := range []int{0, 2} {
		checkDecode(t, dec, bad)
		img := checkDecode(t, dec, aus[start].nalus)
		if img == nil {
			t.Fatalf("keyframe %d after corrupt SPS: no picture", start)
		}
		if mae := meanAbsErr(t, img, imgs[start]); mae >= maxMAE {
			t.Fatalf("keyframe %d after corrupt SPS: mean abs error %.2f", start, mae)
		}
		if start == 0 {
			if img := checkDecode(t, dec, aus[1].nalus); img == nil {
				t.Fatal("P-frame after recovered keyframe: no picture")
			}
		}
	}
}
