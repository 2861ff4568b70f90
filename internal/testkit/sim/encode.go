package sim

import (
	"fmt"
	"time"

	"github.com/patrol-city/patrol/internal/ingest/av"
	"github.com/patrol-city/patrol/internal/media"
)

// FrameSource yields numbered frames of one size.
type FrameSource interface {
	Frame(i int) *media.Image
}

// EncodeFrames encodes n frames of src once, returning a loopable stream.
func EncodeFrames(src FrameSource, n int, cfg av.EncoderConfig) (*Stream, error) {
	enc, err := av.NewEncoder(cfg)
	if err != nil {
		return nil, fmt.Errorf("sim: encoder: %w", err)
	}
	defer enc.Close()
	frameDur := time.Second / time.Duration(cfg.FPS)
	st := &Stream{Params: media.Params{Codec: cfg.Codec}, Period: time.Duration(n) * frameDur}
	if cfg.BFrames > 0 {
		return encodeReordered(enc, src, n, frameDur, st)
	}
	for i := 0; i < n; i++ {
		nalus, key, err := enc.Encode(src.Frame(i))
		if err != nil {
			return nil, fmt.Errorf("sim: encode frame %d: %w", i, err)
		}
		if len(nalus) == 0 {
			return nil, fmt.Errorf("sim: encoder returned no data for frame %d", i)
		}
		st.Params = st.Params.Fill(nalus)
		st.Units = append(st.Units, media.AccessUnit{PTS: time.Duration(i) * frameDur, NALUs: nalus, Key: key})
	}
	if len(st.Units) == 0 || !st.Units[0].Key {
		return nil, fmt.Errorf("sim: stream does not start with a key frame")
	}
	if st.Params.SPS == nil || st.Params.PPS == nil {
		return nil, fmt.Errorf("sim: encoder produced no parameter sets")
	}
	return st, nil
}

// encodeReordered encodes a stream with B-frames: units in decoding order,
// each with the display time of its picture.
func encodeReordered(enc *av.Encoder, src FrameSource, n int, frameDur time.Duration, st *Stream) (*Stream, error) {
	add := func(p *av.Packet) {
		st.Params = st.Params.Fill(p.NALUs)
		st.Units = append(st.Units, media.AccessUnit{PTS: time.Duration(p.Index) * frameDur, NALUs: p.NALUs, Key: p.Key})
	}
	for i := 0; i < n; i++ {
		p, err := enc.EncodePacket(src.Frame(i))
		if err != nil {
			return nil, fmt.Errorf("sim: encode frame %d: %w", i, err)
		}
		if p != nil {
			add(p)
		}
	}
	rest, err := enc.Flush()
	if err != nil {
		return nil, fmt.Errorf("sim: flush: %w", err)
	}
	for i := range rest {
		add(&rest[i])
	}
	if len(st.Units) != n || !st.Units[0].Key {
		return nil, fmt.Errorf("sim: %d units for %d frames, or no key frame first", len(st.Units), n)
	}
	if st.Params.SPS == nil || st.Params.PPS == nil {
		return nil, fmt.Errorf("sim: encoder produced no parameter sets")
	}
	return st, nil
}

// SceneStream renders and encodes one loop of a scene.
func SceneStream(sc *Scene, assetDir string, codec media.Codec) (*Stream, error) {
	r, err := NewRenderer(sc, assetDir)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return EncodeFrames(r, sc.Frames(), av.EncoderConfig{
		Codec: codec, Width: sc.Size[0], Height: sc.Size[1], FPS: sc.FPS, GOP: sc.GOP, Bitrate: sc.Bitrate,
	})
}
