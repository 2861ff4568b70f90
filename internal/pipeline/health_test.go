package pipeline

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/ingest"
	"github.com/patrol-city/patrol/internal/publisher/health"
)

type healthSink struct {
	mu  sync.Mutex
	evs []health.Event
}

func (s *healthSink) Report(ev health.Event) {
	s.mu.Lock()
	s.evs = append(s.evs, ev)
	s.mu.Unlock()
}

// TestDecoderHealthEvents: the camera's decoder states become health events
// of kind "decoder" (stuck, degraded, ok) that pass the published schema.
func TestDecoderHealthEvents(t *testing.T) {
	cfg := &config.Config{Worker: "w", Cameras: []config.Camera{{ID: "c", URL: "rtsp://127.0.0.1:1/x"}}, DataDir: t.TempDir()}
	cfg.ApplyDefaults()
	sink := &healthSink{}
	p, err := New(cfg, Deps{Detector: &parkedCar{}, Publisher: &nopSubmitter{}, Health: sink, Now: func() time.Time { return time.Unix(1e9, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	w := p.cameras[0]
	w.onDecoder(ingest.DecoderStuck, "decode call did not return within 5s; decoder replaced")
	w.onDecoder(ingest.DecoderOK, "the new decoder decodes")
	w.onDecoder(ingest.DecoderDegraded, "35 of the last 50 units undecodable")
	want := [][2]string{{"stuck", "ok"}, {"ok", "stuck"}, {"degraded", "ok"}}
	if len(sink.evs) != len(want) {
		t.Fatalf("%d events, want %d", len(sink.evs), len(want))
	}
	for i, ev := range sink.evs {
		if ev.Kind != health.KindDecoder || ev.State != want[i][0] || ev.Previous != want[i][1] || ev.Reason == "" {
			t.Fatalf("event %d: %+v, want decoder %s after %s", i, ev, want[i][0], want[i][1])
		}
		raw, _ := json.Marshal(ev)
		if err := cases.ValidateHealthJSON(raw); err != nil {
			t.Fatalf("event %d fails the schema: %v", i, err)
		}
	}
}
