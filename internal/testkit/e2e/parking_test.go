package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/pmp4"
	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/worker"
)

// TestParkingCase plays the parking-e2e scene (a car parks 18 s in the zone,
// then another drives through) into a worker wired to the real Kafka and
// MinIO, and checks that exactly one case arrives, for the parked car, with
// its evidence stored and intact.
func TestParkingCase(t *testing.T) {
	t.Parallel()
	for _, codec := range []media.Codec{media.H264, media.H265} {
		t.Run(string(codec), func(t *testing.T) {
			parallel(t, loadParking)
			runParking(t, codec)
		})
	}
}

func runParking(t *testing.T, codec media.Codec) {
	broker, s3cfg := services(t)
	cam := newSimCamera(t, nil, "parking-e2e", codec, fmt.Sprintf("e2e-%s", codec))
	truth := cam.Scene.Truth()
	camID := cam.ID
	const minDwell = 8 * time.Second
	cfg := camConfig(t, broker, s3cfg, camID, cam.URL(), func(c *config.Config) {
		c.Cameras[0].Name = "e2e camera"
		c.Cameras[0].Zones = noParking(0.55, 0.99)
		c.Rules = parkingRule(minDwell, "car", "truck", "bus", "motorcycle")
		c.Evidence.PreRoll, c.Evidence.PostRoll, c.Evidence.PresignExpiry = 5*time.Second, 3*time.Second, time.Hour
	})
	from := topicEnd(t, broker, cfg.Kafka.CasesTopic)

	w := startWorker(t, t.Context(), cfg, worker.Deps{})
	start := cam.play(t)
	// One loop of the scene: the passing car has left at 39 s.
	time.Sleep(truth.Duration - 3*time.Second)
	if err := w.Stop(); err != nil {
		t.Fatal(err)
	}

	var got []cases.Case
	var latencies []time.Duration
	for _, wc := range camCases(t, broker, cfg.Kafka.CasesTopic, from, camID, 3*time.Second) {
		c := wc.Case
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		got = append(got, c)
		latencies = append(latencies, wc.Logged.Sub(c.ConfirmedAt))
	}
	if len(got) != 1 {
		for _, c := range got {
			t.Logf("case: %s", c.Summary())
		}
		t.Fatalf("got %d cases for %s, want exactly 1", len(got), camID)
	}
	c := got[0]
	parked := truth.Actors[0]
	rest := parked.Rests[0]
	// The case is for the parked car: its box overlaps the car's rest box.
	w0, h0 := float64(truth.Size[0]), float64(truth.Size[1])
	tb := [4]float64{float64(rest.Box[0]) / w0, float64(rest.Box[1]) / h0, float64(rest.Box[2]) / w0, float64(rest.Box[3]) / h0}
	if iou := boxIoU(c.Objects[0].Box, tb); iou < 0.5 {
		t.Errorf("case box %v vs parked car %v: IoU %.2f < 0.5", c.Objects[0].Box, tb, iou)
	}
	// Confirmed about min_dwell after the car came to rest.
	restAt := start.Add(rest.From)
	if d := c.ConfirmedAt.Sub(restAt); d < minDwell-time.Second || d > minDwell+6*time.Second {
		t.Errorf("confirmed %v after the car came to rest, want about %v", d, minDwell)
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	t.Logf("case %s: dwell %.1fs, rule fired -> case on Kafka: %v (post-roll %v included)",
		c.CaseID, c.DwellS, latencies[len(latencies)/2], cfg.Evidence.PostRoll)

	store, err := evidence.NewS3(context.Background(), s3cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkPack(t, c, store)
	for _, ev := range c.Evidence {
		data, err := store.Get(context.Background(), ev.Key)
		if err != nil {
			t.Fatalf("evidence %s: %v", ev.Key, err)
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != ev.SHA256 || int64(len(data)) != ev.Size {
			t.Fatalf("evidence %s: sha256/size differ from the case", ev.Key)
		}
		if ev.Kind == "clip" && ev.Role == "confirmation" {
			checkClip(t, data, c, cfg, codec)
		}
		if ev.Kind == "snapshot" && ev.Role == "confirmation" {
			img, err := gocv.IMDecode(data, gocv.IMReadColor)
			if err != nil || img.Empty() || img.Cols() != truth.Size[0] {
				t.Fatalf("snapshot does not decode to the frame size: %v", err)
			}
			img.Close()
		}
	}
}

func checkClip(t *testing.T, data []byte, c cases.Case, cfg *config.Config, codec media.Codec) {
	t.Helper()
	var p pmp4.Presentation
	if err := p.Unmarshal(bytes.NewReader(data)); err != nil {
		t.Fatalf("clip is not an MP4: %v", err)
	}
	if len(p.Tracks) != 1 {
		t.Fatalf("clip has %d tracks", len(p.Tracks))
	}
	tr := p.Tracks[0]
	switch codec {
	case media.H264:
		if _, ok := tr.Codec.(*mp4.CodecH264); !ok {
			t.Fatalf("clip codec %T, want H.264", tr.Codec)
		}
	case media.H265:
		if _, ok := tr.Codec.(*mp4.CodecH265); !ok {
			t.Fatalf("clip codec %T, want H.265", tr.Codec)
		}
	}
	var ticks int64
	for _, s := range tr.Samples {
		ticks += int64(s.Duration)
	}
	dur := time.Duration(ticks) * time.Second / time.Duration(tr.TimeScale)
	var clip *cases.Evidence
	for i := range c.Evidence {
		if c.Evidence[i].Kind == "clip" && c.Evidence[i].Role == "confirmation" {
			clip = &c.Evidence[i]
		}
	}
	if clip.Start == nil || clip.End == nil {
		t.Fatal("clip evidence lacks start/end")
	}
	if !clip.Start.Before(c.ConfirmedAt.Add(-2*time.Second)) || !clip.End.After(c.ConfirmedAt.Add(2*time.Second)) {
		t.Errorf("clip [%v, %v] does not cover 2 s around confirmation %v", clip.Start, clip.End, c.ConfirmedAt)
	}
	want := cfg.Evidence.PreRoll + cfg.Evidence.PostRoll
	if dur < want-2*time.Second || dur > want+2*time.Second {
		t.Errorf("clip lasts %v, want %v ± 2 s", dur, want)
	}
	// The clip decodes: every frame comes out of OpenCV's FFmpeg reader.
	path := filepath.Join(t.TempDir(), "clip.mp4")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer vc.Close()
	m := gocv.NewMat()
	defer m.Close()
	n := 0
	for vc.Read(&m) && !m.Empty() {
		n++
	}
	if n < len(tr.Samples)-1 {
		t.Errorf("decoded %d of %d clip frames", n, len(tr.Samples))
	}
	t.Logf("clip: %v, %d frames decoded, %d bytes", dur, n, len(data))
}

func boxIoU(a, b [4]float64) float64 {
	x1, y1 := max(a[0], b[0]), max(a[1], b[1])
	x2, y2 := min(a[0]+a[2], b[0]+b[2]), min(a[1]+a[3], b[1]+b[3])
	if x2 <= x1 || y2 <= y1 {
		return 0
	}
	inter := (x2 - x1) * (y2 - y1)
	return inter / (a[2]*a[3] + b[2]*b[3] - inter)
}

// checkPack checks the evidence pack: a confirmation clip, clean and
// annotated snapshots at first sight and at confirmation, a manifest that
// lists every other object with its sha256, and presigned URLs that work.
func checkPack(t *testing.T, c cases.Case, store *evidence.S3) {
	t.Helper()
	have := map[string]cases.Evidence{}
	for _, ev := range c.Evidence {
		have[fmt.Sprintf("%s/%s/%v", ev.Kind, ev.Role, ev.Annotated)] = ev
		if ev.URL == "" {
			t.Errorf("evidence %s has no presigned URL", ev.Key)
		} else if body := httpGet(t, ev.URL); len(body) != int(ev.Size) {
			t.Errorf("presigned URL of %s gave %d bytes, want %d", ev.Key, len(body), ev.Size)
		}
	}
	for _, want := range []string{"clip/confirmation/false", "snapshot/confirmation/true", "snapshot/confirmation/false",
		"snapshot/first_sight/true", "snapshot/first_sight/false", "manifest//false"} {
		if _, ok := have[want]; !ok {
			t.Errorf("evidence pack lacks %s (has %v)", want, keys(have))
		}
	}
	raw, err := store.Get(context.Background(), have["manifest//false"].Key)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		CaseID  string `json:"case_id"`
		Objects []struct {
			Key, SHA256 string
			Size        int64
		} `json:"objects"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.CaseID != c.CaseID || len(m.Objects) != len(c.Evidence)-1 {
		t.Fatalf("manifest of %s lists %d objects, case has %d besides it", m.CaseID, len(m.Objects), len(c.Evidence)-1)
	}
	for _, o := range m.Objects {
		found := false
		for _, ev := range c.Evidence {
			found = found || (ev.Key == o.Key && ev.SHA256 == o.SHA256 && ev.Size == o.Size)
		}
		if !found {
			t.Errorf("manifest entry %s does not match the case", o.Key)
		}
	}
}

func keys(m map[string]cases.Evidence) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
