package demux_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/ingest/av"
	"github.com/patrol-city/patrol/internal/ingest/demux"
	"github.com/patrol-city/patrol/internal/ingest/demux/internal/muxtest"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher/clip"
)

// vcl returns the slice NAL units of a unit (the containers may add or drop
// parameter sets and delimiters, never touch slices).
func vcl(c media.Codec, nalus [][]byte) [][]byte {
	var out [][]byte
	for _, n := range nalus {
		if (c == media.H264 && n[0]&0x1f >= 1 && n[0]&0x1f <= 5) || (c == media.H265 && (n[0]>>1)&0x3f < 32) {
			out = append(out, n)
		}
	}
	return out
}

// sameUnits checks that got holds want's units: same slices, key flags and
// PTS within tol.
func sameUnits(t *testing.T, want, got played, tol time.Duration) {
	t.Helper()
	if len(got.units) != len(want.units) || got.w != want.w || got.h != want.h || got.params.Codec != want.params.Codec {
		t.Fatalf("%d units %dx%d %s, want %d units %dx%d %s", len(got.units), got.w, got.h, got.params.Codec,
			len(want.units), want.w, want.h, want.params.Codec)
	}
	c := want.params.Codec
	for i, w := range want.units {
		g := got.units[i]
		if g.Key != w.Key || !near(g.PTS, w.PTS, tol) {
			t.Fatalf("unit %d: key %v PTS %v, want key %v PTS %v", i, g.Key, g.PTS, w.Key, w.PTS)
		}
		gs, ws := vcl(c, g.NALUs), vcl(c, w.NALUs)
		if len(gs) != len(ws) || len(ws) == 0 {
			t.Fatalf("unit %d: %d slices, want %d", i, len(gs), len(ws))
		}
		for j := range ws {
			if !bytes.Equal(gs[j], ws[j]) {
				t.Fatalf("unit %d: slice %d differs", i, j)
			}
		}
	}
}

// synthH265 writes an H.265 MP4 (hvcC sample entry, parameter sets out of
// band) of 60 moving 320x240 pictures at 25 fps, a key every 25.
func synthH265(t *testing.T, dir string) string {
	t.Helper()
	const w, h, n = 320, 240, 60
	enc, err := av.NewEncoder(av.EncoderConfig{Codec: media.H265, Width: w, Height: h, FPS: 25, GOP: 25})
	if err != nil {
		t.Fatalf("H.265 encoder: %v", err)
	}
	defer enc.Close()
	var units []media.AccessUnit
	img := &media.Image{Width: w, Height: h, BGR: make([]byte, 3*w*h)}
	for i := range n {
		for p := range w * h {
			x, y := p%w, p/w
			img.BGR[3*p], img.BGR[3*p+1], img.BGR[3*p+2] = byte(x+4*i), byte(y), byte((x+y)/2+8*i)
		}
		nalus, key, err := enc.Encode(img)
		if err != nil || len(nalus) == 0 {
			t.Fatalf("encode %d: %v", i, err)
		}
		units = append(units, media.AccessUnit{NALUs: nalus, Key: key, PTS: time.Duration(i) * 40 * time.Millisecond})
	}
	path := filepath.Join(dir, "synth_h265.mp4")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if _, err := clip.Write(fh, media.Params{Codec: media.H265}, units); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestContainers plays the same stream from MP4, Matroska (written here
// by libavformat) and MPEG-TS (Annex-B, in-band parameter sets), for H.264
// without and with B-frames and for H.265.
func TestContainers(t *testing.T) {
	t.Parallel()
	dir := videoDir(t)
	tmp := t.TempDir()
	h265 := synthH265(t, tmp)
	for _, src := range []struct{ name, path string }{
		{"h264", filepath.Join(dir, "sidewalk_cctv_left_object.mp4")},
		{"h264_bframes", filepath.Join(dir, "street", "haiphong_junction_queue.mp4")},
		{"h265", h265},
	} {
		t.Run(src.name, func(t *testing.T) {
			t.Parallel()
			want := playAll(t, src.path, demux.Options{})
			want.check(t)
			if src.name == "h265" && (want.params.Codec != media.H265 || len(want.units) != 60 || len(want.keys()) != 3) {
				t.Fatalf("H.265 MP4: %s, %d units, %d keys", want.params.Codec, len(want.units), len(want.keys()))
			}
			for _, format := range []string{"matroska", "mpegts"} {
				out := filepath.Join(tmp, src.name+"."+format)
				if err := muxtest.Remux(src.path, out, format, false); err != nil {
					t.Fatal(err)
				}
				got := playAll(t, out, demux.Options{})
				got.check(t)
				sameUnits(t, want, got, time.Millisecond) // Matroska: 1 ms
				t.Logf("%s in %s: %d units, %d keys", src.name, format, len(got.units), len(got.keys()))
			}
		})
	}
}

// TestRawAnnexB plays an elementary H.264 stream, which carries neither
// PTS nor DTS nor duration: timestamps come from the frame count and the
// frame rate libavformat reads from the SPS (30 fps).
func TestRawAnnexB(t *testing.T) {
	t.Parallel()
	want := playAll(t, filepath.Join(videoDir(t), "sidewalk_cctv_left_object.mp4"), demux.Options{})
	var es bytes.Buffer
	for _, au := range want.units {
		nalus := au.NALUs
		if au.Key {
			nalus = want.params.Prepend(nalus)
		}
		for _, n := range nalus {
			es.Write([]byte{0, 0, 0, 1})
			es.Write(n)
		}
	}
	path := filepath.Join(t.TempDir(), "sidewalk.h264")
	if err := os.WriteFile(path, es.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	got := playAll(t, path, demux.Options{})
	got.check(t)
	sameUnits(t, want, got, time.Millisecond)
	if got.duration != 0 {
		t.Errorf("Duration %v of a stream without one, want 0", got.duration)
	}
}
