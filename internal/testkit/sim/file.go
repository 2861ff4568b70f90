package sim

import (
	"errors"
	"fmt"
	"image"
	"os"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/pmp4"
	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/internal/ingest/av"
	"github.com/patrol-city/patrol/internal/media"
)

// FileOptions control how a video file becomes a stream.
type FileOptions struct {
	// GOP is the key-frame interval in frames when the file is re-encoded
	// (default: one second of frames).
	GOP int
	// Codec is the codec of a re-encoded stream (default H.264).
	Codec media.Codec
	// Reencode forces re-encoding even when the file is already H.264.
	Reencode bool
}

// FileStream reads a video file once and returns a loopable stream: an MP4
// with H.264 video is passed through unchanged; anything else (or Reencode)
// is decoded with OpenCV and encoded with the given GOP.
func FileStream(path string, opt FileOptions) (*Stream, error) {
	if opt.Codec == "" {
		opt.Codec = media.H264
	}
	if !opt.Reencode && opt.Codec == media.H264 {
		st, err := passThroughMP4(path)
		if err == nil {
			return st, nil
		}
		if !errors.Is(err, errNotH264MP4) {
			return nil, err
		}
	}
	return reencodeFile(path, opt)
}

var errNotH264MP4 = errors.New("not an MP4 with H.264 video")

func passThroughMP4(path string) (*Stream, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	defer f.Close()
	var p pmp4.Presentation
	if err := p.Unmarshal(f); err != nil {
		return nil, errNotH264MP4
	}
	for _, tr := range p.Tracks {
		c, ok := tr.Codec.(*mp4.CodecH264)
		if !ok {
			continue
		}
		st := &Stream{Params: media.Params{Codec: media.H264, SPS: c.SPS, PPS: c.PPS}}
		var dts int64
		for i, sa := range tr.Samples {
			payload, err := sa.GetPayload()
			if err != nil {
				return nil, fmt.Errorf("sim: %s: sample %d: %w", path, i, err)
			}
			var avcc h264.AVCC
			if err := avcc.Unmarshal(payload); err != nil {
				return nil, fmt.Errorf("sim: %s: sample %d: %w", path, i, err)
			}
			nalus := [][]byte(avcc)
			key := !sa.IsNonSyncSample
			if key {
				nalus = append([][]byte{c.SPS, c.PPS}, nalus...)
			}
			pts := media.TicksToDuration(dts+int64(sa.PTSOffset), int64(tr.TimeScale))
			st.Units = append(st.Units, media.AccessUnit{PTS: pts, NALUs: nalus, Key: key})
			dts += int64(sa.Duration)
		}
		if len(st.Units) == 0 || !st.Units[0].Key {
			return nil, fmt.Errorf("sim: %s: video does not start with a key frame", path)
		}
		st.Period = media.TicksToDuration(dts, int64(tr.TimeScale))
		return st, nil
	}
	return nil, errNotH264MP4
}

type matFrames struct{ frames []*media.Image }

func (m *matFrames) Frame(i int) *media.Image { return m.frames[i] }

func reencodeFile(path string, opt FileOptions) (*Stream, error) {
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		return nil, fmt.Errorf("sim: open %s: %w", path, err)
	}
	defer vc.Close()
	fps := int(vc.Get(gocv.VideoCaptureFPS) + 0.5)
	if fps < 1 || fps > 120 {
		fps = 25
	}
	if opt.GOP == 0 {
		opt.GOP = fps
	}
	src := &matFrames{}
	m := gocv.NewMat()
	defer m.Close()
	var w, h int
	for vc.Read(&m) && !m.Empty() {
		if w == 0 {
			w, h = m.Cols()&^1, m.Rows()&^1
		}
		if m.Cols() < w || m.Rows() < h || m.Type() != gocv.MatTypeCV8UC3 {
			continue
		}
		roi := m.Region(image.Rect(0, 0, w, h))
		c := roi.Clone()
		roi.Close()
		buf, _ := c.DataPtrUint8()
		src.frames = append(src.frames, &media.Image{Width: w, Height: h, BGR: append([]byte(nil), buf...)})
		c.Close()
	}
	if len(src.frames) == 0 {
		return nil, fmt.Errorf("sim: %s: no decodable video frames", path)
	}
	return EncodeFrames(src, len(src.frames), av.EncoderConfig{Codec: opt.Codec, Width: w, Height: h, FPS: fps, GOP: opt.GOP})
}
