package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/ingest/av"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/publisher/health"
	"github.com/patrol-city/patrol/internal/testkit/sim"
	"github.com/patrol-city/patrol/internal/worker"
)

// frames is a FrameSource over decoded pictures.
type frames []*media.Image

func (f frames) Frame(i int) *media.Image { return f[i] }

// resized re-encodes st at w x h (same frame rate and GOP): the camera's
// sub-stream, with the same field of view when the aspect ratio is kept.
func resized(t *testing.T, st *sim.Stream, w, h, fps, gop int) *sim.Stream {
	t.Helper()
	dec, err := av.NewDecoder(media.H264)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	dec.SetMaxSize(w, h)
	var pics frames
	for i, au := range st.Units {
		nalus := au.NALUs
		if au.Key {
			nalus = st.Params.Prepend(nalus)
		}
		img, err := dec.Decode(nalus)
		if err != nil || img == nil {
			t.Fatalf("decode unit %d: %v", i, err)
		}
		if img.Width != w || img.Height != h {
			// A different aspect ratio: stretch by decoding at the exact size.
			img = stretch(img, w, h)
		}
		pics = append(pics, img)
	}
	out, err := sim.EncodeFrames(pics, len(pics), av.EncoderConfig{Codec: media.H264, Width: w, Height: h, FPS: fps, GOP: gop})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// stretch resamples img to w x h (nearest pixel).
func stretch(img *media.Image, w, h int) *media.Image {
	out := &media.Image{Width: w, Height: h, BGR: make([]byte, 3*w*h)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sx, sy := x*img.Width/w, y*img.Height/h
			copy(out.BGR[3*(y*w+x):3*(y*w+x)+3], img.BGR[3*(sy*img.Width+sx):])
		}
	}
	return out
}

type caseSink struct {
	mu  sync.Mutex
	got [][]byte
}

func (s *caseSink) WriteCase(_ context.Context, _ string, v []byte) error {
	s.mu.Lock()
	s.got = append(s.got, append([]byte(nil), v...))
	s.mu.Unlock()
	return nil
}

func (s *caseSink) all() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.got...)
}

// TestSubStream: a camera with a 640x360 main stream and a 320x180
// sub-stream (detect_url). Pictures for detection come from the
// sub-stream, the main stream is not decoded by the camera's decode loop,
// the case's snapshot is at the main stream's resolution with the box
// mapped onto it, both streams report their health with their stream
// named, and a sub-stream of another shape is reported as a mismatch.
func TestSubStream(t *testing.T) {
	parallel(t, loadSubStream)
	sc, st := sceneStream(t, assetMirror(t), "parking-e2e", media.H264)
	truth := sc.Truth()
	sub := resized(t, st, 320, 180, sc.FPS, sc.GOP)
	odd := resized(t, st, 320, 240, sc.FPS, sc.GOP)
	srv := simServer(t)
	id := fmt.Sprintf("sub-%d", rand.Uint32())
	zone := noParking(0.55, 0.99)
	cfg := &config.Config{
		Worker: "e2e-sub",
		Cameras: []config.Camera{
			{ID: id, URL: srv.URL("main"), DetectURL: srv.URL("sub"), Zones: zone},
			{ID: id + "-odd", URL: srv.URL("main"), DetectURL: srv.URL("odd"), Zones: zone},
		},
		Rules:      parkingRule(8*time.Second, "car", "truck", "bus"),
		Kafka:      config.Kafka{Brokers: []string{"127.0.0.1:1"}},
		Evidence:   config.Evidence{Kind: "dir", Dir: t.TempDir(), PreRoll: 5 * time.Second, PostRoll: 3 * time.Second},
		Monitoring: config.Monitoring{MetricsAddress: "off"},
		DataDir:    t.TempDir(),
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	store, err := evidence.NewDir(cfg.Evidence.Dir, "")
	if err != nil {
		t.Fatal(err)
	}
	casesOut, healthOut := &caseSink{}, &caseSink{}
	w := startWorker(t, t.Context(), cfg, worker.Deps{Store: store, Cases: casesOut, Health: healthOut})
	// The three streams start together, once the worker is up.
	for path, s := range map[string]*sim.Stream{"main": st, "sub": sub, "odd": odd} {
		if err := srv.Add(path, s); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(truth.Duration - 3*time.Second) // one loop of the scene
	stats := w.Pipeline().Stats()
	mainDecoded := w.Pipeline().Camera(id).Stats().FramesDecoded
	if err := w.Stop(); err != nil {
		t.Fatal(err)
	}

	st0 := stats[id]
	if st0.Detect == nil || st0.Detect.FramesDecoded == 0 || st0.Inferences == 0 {
		t.Fatalf("sub-stream not analysed: %+v", st0)
	}
	if mainDecoded != 0 {
		t.Errorf("the main stream's decode loop decoded %d pictures, want 0 (buffered only)", mainDecoded)
	}
	if st0.StreamMismatch != "" {
		t.Errorf("16:9 streams reported as a mismatch: %s", st0.StreamMismatch)
	}
	if m := stats[id+"-odd"].StreamMismatch; !strings.Contains(m, "aspect ratio") {
		t.Errorf("a 4:3 sub-stream under a 16:9 main stream: mismatch %q, want it reported", m)
	}
	t.Logf("main stream units %d, sub-stream decoded %d, inferences %d", st0.Ingest.Units, st0.Detect.FramesDecoded, st0.Inferences)

	var opened *cases.Case
	for _, raw := range casesOut.all() {
		var c cases.Case
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		if c.Camera.ID == id && c.Event == cases.EventOpened {
			if opened != nil {
				t.Fatalf("two opened cases for the parked car")
			}
			opened = &c
		}
	}
	if opened == nil {
		t.Fatal("no case from the sub-stream camera")
	}
	for _, ev := range opened.Evidence {
		if ev.Kind != "snapshot" || ev.Role != "confirmation" {
			continue
		}
		f, err := os.Open(store.Path(ev.Key))
		if err != nil {
			t.Fatal(err)
		}
		cfgJPEG, err := jpeg.DecodeConfig(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if cfgJPEG.Width != sc.Size[0] || cfgJPEG.Height != sc.Size[1] {
			t.Errorf("snapshot %s is %dx%d, want the main stream's %dx%d", ev.Key, cfgJPEG.Width, cfgJPEG.Height, sc.Size[0], sc.Size[1])
		}
	}

	streams := map[string]bool{}
	for _, raw := range healthOut.all() {
		if err := cases.ValidateHealthJSON(raw); err != nil {
			t.Fatalf("health event fails the schema: %v", err)
		}
		var ev health.Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.CameraID == id && ev.Kind == health.KindState && ev.State == "streaming" {
			streams[ev.Stream] = true
		}
	}
	if !streams[health.StreamMain] || !streams[health.StreamDetect] {
		t.Errorf("streaming events by stream: %v, want main and detect", streams)
	}
}
