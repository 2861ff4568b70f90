package clip

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	amp4 "github.com/abema/go-mp4"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/pmp4"
	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/testkit/testenv"
)

// Parameter sets of car-detection.mp4 (H.264 Baseline 768x432, 12.5 fps).
var (
	testSPS, _ = hex.DecodeString("6742801696540601bd3506060640000003004000000661")
	testPPS, _ = hex.DecodeString("68ce3520")
)

// sharedDir is the asset mirror (testenv.Mirror).
func sharedDir(*testing.T) string { return testenv.Mirror() }

// mp4Video is the video track of an MP4 file as access units.
type mp4Video struct {
	params media.Params
	units  []media.AccessUnit
	durs   []time.Duration // sample durations
}

// readMP4Video reads the first H.264/H.265 track of a progressive MP4 with
// abema/go-mp4 (pmp4.Unmarshal rejects boxes such as sdtp and free).
func readMP4Video(t *testing.T, path string) mp4Video {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, err := amp4.Probe(f)
	if err != nil {
		t.Fatal(err)
	}
	traks, err := amp4.ExtractBox(f, nil, amp4.BoxPath{amp4.BoxTypeMoov(), amp4.BoxTypeTrak()})
	if err != nil || len(traks) != len(info.Tracks) {
		t.Fatalf("traks: %v", err)
	}
	stbl := func(b ...amp4.BoxType) amp4.BoxPath {
		return append(amp4.BoxPath{amp4.BoxTypeMdia(), amp4.BoxTypeMinf(), amp4.BoxTypeStbl()}, b...)
	}
	for i, trak := range traks {
		boxes, err := amp4.ExtractBoxesWithPayload(f, trak, []amp4.BoxPath{
			stbl(amp4.BoxTypeStsd(), amp4.BoxTypeAvc1(), amp4.BoxTypeAvcC()),
			stbl(amp4.BoxTypeStsd(), amp4.BoxTypeHvc1(), amp4.BoxTypeHvcC()),
			stbl(amp4.BoxTypeStsd(), amp4.BoxTypeHev1(), amp4.BoxTypeHvcC()),
			stbl(amp4.BoxTypeStss()),
		})
		if err != nil {
			t.Fatal(err)
		}
		var v mp4Video
		var stss *amp4.Stss
		for _, b := range boxes {
			switch p := b.Payload.(type) {
			case *amp4.AVCDecoderConfiguration:
				v.params = media.Params{Codec: media.H264, SPS: p.SequenceParameterSets[0].NALUnit,
					PPS: p.PictureParameterSets[0].NALUnit}
			case *amp4.HvcC:
				v.params.Codec = media.H265
				dst := map[uint8]*[]byte{32: &v.params.VPS, 33: &v.params.SPS, 34: &v.params.PPS}
				for _, a := range p.NaluArrays {
					if d := dst[a.NaluType]; d != nil {
						*d = a.Nalus[0].NALUnit
					}
				}
			case *amp4.Stss:
				stss = p
			}
		}
		if v.params.Codec == "" {
			continue
		}
		tr := info.Tracks[i]
		var mediaTime int64
		if len(tr.EditList) > 0 && tr.EditList[len(tr.EditList)-1].MediaTime > 0 {
			mediaTime = tr.EditList[len(tr.EditList)-1].MediaTime
		}
		ticks := func(v int64) time.Duration { return time.Duration(v) * time.Second / time.Duration(tr.Timescale) }
		n, dts := 0, int64(0)
		for _, c := range tr.Chunks {
			off := int64(c.DataOffset)
			for range c.SamplesPerChunk {
				s := tr.Samples[n]
				buf := make([]byte, s.Size)
				if _, err := f.ReadAt(buf, off); err != nil {
					t.Fatal(err)
				}
				var au h264.AVCC
				if err := au.Unmarshal(buf); err != nil {
					t.Fatalf("sample %d: %v", n, err)
				}
				n++
				v.units = append(v.units, media.AccessUnit{
					PTS: ticks(dts + s.CompositionTimeOffset - mediaTime), NALUs: au, Key: stss == nil || slices.Contains(stss.SampleNumber, uint32(n)),
				})
				v.durs = append(v.durs, ticks(int64(s.TimeDelta)))
				off += int64(s.Size)
				dts += int64(s.TimeDelta)
			}
		}
		return v
	}
	t.Fatalf("%s: no H.264/H.265 track", path)
	return mp4Video{}
}

// decodeHashes decodes every frame of an MP4 file with OpenCV and returns
// their SHA-256 and the picture size.
func decodeHashes(t *testing.T, path string) (hashes []string, size image.Point) {
	t.Helper()
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer vc.Close()
	m := gocv.NewMat()
	defer m.Close()
	for vc.Read(&m) && !m.Empty() {
		sum := sha256.Sum256(m.ToBytes())
		hashes = append(hashes, hex.EncodeToString(sum[:]))
		size = image.Pt(m.Cols(), m.Rows())
	}
	return hashes, size
}

// writeAndCheck writes units as a clip, decodes it and checks it against the
// source's decoded frames want, and parses it back with pmp4.
func writeAndCheck(t *testing.T, params media.Params, units []media.AccessUnit, want []string, size image.Point) (time.Duration, *pmp4.Track) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clip.mp4")
	var buf bytes.Buffer
	got, err := Write(&buf, params, units)
	if err != nil {
		t.Fatal(err)
	}
	if string(buf.Bytes()[4:8]) != "ftyp" || !bytes.Contains(buf.Bytes()[:64], []byte("moov")) {
		t.Fatalf("not ftyp+moov first: % x", buf.Bytes()[:64])
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	hashes, gotSize := decodeHashes(t, path)
	if len(hashes) != len(units) || gotSize != size {
		t.Fatalf("decoded %d frames of %v, want %d of %v", len(hashes), gotSize, len(units), size)
	}
	if !slices.Equal(hashes, want[:len(units)]) {
		t.Fatal("decoded frames differ from the source's")
	}
	var p pmp4.Presentation
	if err := p.Unmarshal(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	tr := p.Tracks[0]
	if len(p.Tracks) != 1 || len(tr.Samples) != len(units) || tr.TimeScale != Timescale {
		t.Fatalf("tracks=%d samples=%d timescale=%d", len(p.Tracks), len(tr.Samples), tr.TimeScale)
	}
	var dts int64
	for i, s := range tr.Samples {
		if s.IsNonSyncSample == units[i].Key {
			t.Errorf("sample %d: sync=%v, key=%v", i, !s.IsNonSyncSample, units[i].Key)
		}
		pts := ticksToDuration(dts + int64(s.PTSOffset) + int64(tr.TimeOffset))
		if d := pts - (units[i].PTS - units[0].PTS); d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("sample %d: pts %v, want %v", i, pts, units[i].PTS-units[0].PTS)
		}
		dts += int64(s.Duration)
	}
	if ticksToDuration(dts) != got {
		t.Errorf("returned %v, file has %v", got, ticksToDuration(dts))
	}
	return got, tr
}

func TestWriteClipCarDetection(t *testing.T) {
	path := filepath.Join(sharedDir(t), "testdata", "video", "car-detection.mp4")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("test video missing: %v", err)
	}
	v := readMP4Video(t, path)
	all, size := decodeHashes(t, path)
	if len(all) != len(v.units) || size != image.Pt(768, 432) {
		t.Fatalf("source: %d frames of %v, %d units", len(all), size, len(v.units))
	}
	start, n := 60, 100 // the second keyframe, and across the third
	if !v.units[start].Key || v.units[start+1].Key {
		t.Fatalf("unit %d is not a keyframe followed by a delta frame", start)
	}
	units := v.units[start : start+n]
	var want time.Duration
	for _, d := range v.durs[start : start+n] {
		want += d
	}

	t.Run("params", func(t *testing.T) {
		got, tr := writeAndCheck(t, v.params, units, all[start:], size)
		if d := got - want; d < -80*time.Millisecond || d > 80*time.Millisecond {
			t.Errorf("duration %v, want %v", got, want)
		}
		c, ok := tr.Codec.(*mp4.CodecH264)
		if !ok || !bytes.Equal(c.SPS, v.params.SPS) || !bytes.Equal(c.PPS, v.params.PPS) {
			t.Errorf("codec %#v", tr.Codec)
		}
	})
	t.Run("in-band parameter sets", func(t *testing.T) {
		inband := append([]media.AccessUnit(nil), units...)
		inband[0].NALUs = append([][]byte{v.params.SPS, v.params.PPS, {}}, units[0].NALUs...)
		_, tr := writeAndCheck(t, media.Params{Codec: media.H264}, inband, all[start:], size)
		first, err := tr.Samples[0].GetPayload()
		if err != nil {
			t.Fatal(err)
		}
		want, _ := h264.AVCC(units[0].NALUs).Marshal()
		if !bytes.Equal(first, want) {
			t.Error("parameter sets were not stripped from the first sample")
		}
	})
}

// TestWriteClipReordered encodes a clip with B-frames (x264 and x265 through
// OpenCV), so decoding and presentation order differ.
func TestWriteClipReordered(t *testing.T) {
	for _, fourcc := range []string{"avc1", "hvc1"} {
		t.Run(fourcc, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "src.mp4")
			w, err := gocv.VideoWriterFile(src, fourcc, 25, 320, 240, true)
			if err != nil || !w.IsOpened() {
				t.Skipf("OpenCV cannot encode %s: %v", fourcc, err)
			}
			for i := range 40 {
				m := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(40, 90, 140, 0), 240, 320, gocv.MatTypeCV8UC3)
				gocv.Circle(&m, image.Pt(20+i*7, 60+i*3), 18, color.RGBA{250, 250, 250, 0}, -1)
				_ = w.Write(m)
				m.Close()
			}
			_ = w.Close()
			v := readMP4Video(t, src)
			want, size := decodeHashes(t, src)
			reordered := false
			for i := 1; i < len(v.units); i++ {
				reordered = reordered || v.units[i].PTS < v.units[i-1].PTS
			}
			if !reordered {
				t.Logf("%s source has no B-frames", fourcc)
			}
			got, _ := writeAndCheck(t, v.params, v.units, want, size)
			if got != 40*40*time.Millisecond {
				t.Errorf("duration %v, want 1.6s", got)
			}
		})
	}
}

func TestWriteClipSingleUnit(t *testing.T) {
	unit := media.AccessUnit{Key: true, NALUs: [][]byte{{0x65, 0x88, 0x84, 0x00}}}
	var buf bytes.Buffer
	got, err := Write(&buf, media.Params{Codec: media.H264, SPS: testSPS, PPS: testPPS}, []media.AccessUnit{unit})
	if err != nil || got != 80*time.Millisecond { // 1/12.5 fps from the SPS
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestWriteClipErrors(t *testing.T) {
	key := media.AccessUnit{Key: true, NALUs: [][]byte{{0x65, 0x88, 0x84, 0x00}}}
	delta := media.AccessUnit{PTS: 40 * time.Millisecond, NALUs: [][]byte{{0x41, 0x9a, 0x02}}}
	h264p := media.Params{Codec: media.H264, SPS: testSPS, PPS: testPPS}
	for _, tc := range []struct {
		name   string
		params media.Params
		units  []media.AccessUnit
		is     error // nil: any error
	}{
		{"empty", h264p, nil, ErrEmpty},
		{"no keyframe", h264p, []media.AccessUnit{delta, key}, ErrNoKeyframe},
		{"unsupported codec", media.Params{Codec: "mjpeg"}, []media.AccessUnit{key}, media.ErrUnsupportedCodec},
		{"no codec", media.Params{SPS: testSPS, PPS: testPPS}, []media.AccessUnit{key}, media.ErrUnsupportedCodec},
		{"no SPS", media.Params{Codec: media.H264, PPS: testPPS}, []media.AccessUnit{key, delta}, nil},
		{"no PPS", media.Params{Codec: media.H264, SPS: testSPS}, []media.AccessUnit{key, delta}, nil},
		{"garbage SPS", media.Params{Codec: media.H264, SPS: []byte{0x67, 0xff}, PPS: testPPS}, []media.AccessUnit{key}, nil},
		{"H.265 without parameter sets", media.Params{Codec: media.H265}, []media.AccessUnit{key}, nil},
		{"only parameter sets", h264p, []media.AccessUnit{{Key: true, NALUs: [][]byte{testSPS, testPPS}}}, nil},
		{"empty unit", h264p, []media.AccessUnit{key, {PTS: time.Second}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := Write(&buf, tc.params, tc.units)
			if err == nil || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes on error", buf.Len())
			}
		})
	}
}
