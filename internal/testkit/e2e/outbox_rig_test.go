package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/ingest/av"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher"
	"github.com/patrol-city/patrol/internal/publisher/broker"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/publisher/outbox"
	"github.com/patrol-city/patrol/internal/testkit/testenv"
)

// The fault tests drive the publisher directly (outbox, real MinIO through
// evidence.S3, real Kafka through broker.Writer) with synthetic
// candidates: a clip of real H.264 access units and a noisy snapshot frame.

const synthW, synthH = 320, 240

var synth struct {
	once   sync.Once
	params media.Params
	units  []media.AccessUnit
	err    error
}

// synthClip is 4 s of noisy 320x240 H.264 at 10 fps: 1.0 MB as MP4, so a
// case carries 1.02 MiB of evidence with its snapshot.
type synthClip struct{ t0 time.Time }

func (s synthClip) Range(from, to time.Time) (media.Params, []media.AccessUnit) {
	units := make([]media.AccessUnit, len(synth.units))
	for i, u := range synth.units {
		u.Recv = s.t0.Add(u.PTS)
		units[i] = u
	}
	return synth.params, units
}

func noisyFrame(seed uint64) *media.Image {
	img := &media.Image{Width: synthW, Height: synthH, BGR: make([]byte, synthW*synthH*3)}
	r := rand.New(rand.NewPCG(seed, 7))
	for i := range img.BGR {
		img.BGR[i] = byte(i%251) + byte(r.IntN(64))
	}
	return img
}

func encodeSynth(t *testing.T) {
	t.Helper()
	synth.once.Do(func() {
		enc, err := av.NewEncoder(av.EncoderConfig{Codec: media.H264, Width: synthW, Height: synthH, FPS: 10, GOP: 10, Bitrate: 1_500_000})
		if err != nil {
			synth.err = err
			return
		}
		defer enc.Close()
		synth.params = media.Params{Codec: media.H264}
		for i := range 40 {
			nalus, key, err := enc.Encode(noisyFrame(uint64(i)))
			if err != nil {
				synth.err = err
				return
			}
			synth.units = append(synth.units, media.AccessUnit{PTS: time.Duration(i) * 100 * time.Millisecond, NALUs: nalus, Key: key})
		}
	})
	if synth.err != nil {
		t.Fatal(synth.err)
	}
}

// rig is one fault test's services: a fresh bucket and topic, and the
// outbox directory that survives the publishers of the test.
type rig struct {
	broker, topic string
	s3cfg         evidence.S3Config
	store         *evidence.S3
	dir           string
	t0            time.Time
}

func newRig(t *testing.T) *rig {
	broker, s3cfg := services(t)
	encodeSynth(t)
	r := &rig{broker: broker, s3cfg: s3cfg, dir: t.TempDir(), t0: time.Now().Add(-time.Minute).Truncate(time.Millisecond),
		topic: fmt.Sprintf("patrol.e2e.outbox.%d", rand.Uint32())}
	if end := topicEnd(t, broker, r.topic); end != 0 {
		t.Fatalf("new topic %s has %d messages", r.topic, end)
	}
	r.openStore(t)
	return r
}

func (r *rig) openStore(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	if r.store, err = evidence.NewS3(ctx, r.s3cfg); err != nil {
		t.Fatal(err)
	}
}

// publisher starts a publisher on the rig's outbox; store may wrap r.store;
// opts adjust the configuration.
func (r *rig) publisher(t *testing.T, maxBytes int64, store evidence.Store, hook func(stage, id string),
	opts ...func(*publisher.Config, *publisher.Deps)) *publisher.Publisher {
	kw, err := broker.NewWriter(broker.WriterConfig{Brokers: []string{r.broker}, Topic: r.topic})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kw.Close() })
	if store == nil {
		store = r.store
	}
	cfg := publisher.Config{
		Worker: "e2e-outbox", PostRoll: time.Millisecond, RetryBase: 200 * time.Millisecond, RetryMax: 2 * time.Second,
		DrainTimeout: 5 * time.Second, Model: cases.Model{Name: "yolox_nano", SHA256: hex.EncodeToString(make([]byte, 32))},
		Outbox: outbox.Config{Dir: r.dir, MaxBytes: maxBytes},
	}
	deps := publisher.Deps{Store: store, Cases: kw, Hook: hook,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	for _, o := range opts {
		o(&cfg, &deps)
	}
	p, err := publisher.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.Run(context.Background()) }()
	t.Cleanup(p.Close)
	return p
}

// candidate i of the rig, with its case id.
func (r *rig) candidate(i int) (publisher.Candidate, string) {
	confirmed := r.t0.Add(time.Duration(i) * time.Second)
	c := publisher.Candidate{
		Rule:   cases.Rule{ID: "illegal-parking", Kind: "stationary", Code: "0505", Name: "机动车乱停放"},
		Camera: cases.Camera{ID: "cam-outbox", Name: "fault test"}, ZoneID: "z1", TrackID: uint64(i + 1),
		FirstSeen: confirmed.Add(-30 * time.Second), ConfirmedAt: confirmed,
		Objects: []cases.Object{{TrackID: uint64(i + 1), Label: "car", Score: 0.9, Box: [4]float64{0.2, 0.5, 0.3, 0.3}}},
		Frame:   *noisyFrame(uint64(1000 + i)), Clips: synthClip{t0: confirmed.Add(-time.Second)},
	}
	return c, cases.ID(c.Camera.ID, c.Rule.ID, c.ZoneID, c.TrackID, c.FirstSeen)
}

// waitEmpty waits until the publisher's outbox is empty.
func waitEmpty(t *testing.T, p *publisher.Publisher, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for p.Stats().Outbox.Entries > 0 {
		if time.Since(start) > within {
			t.Fatalf("outbox not empty after %v: %+v", within, p.Stats())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

// readAll reads the whole topic up to its current end offset.
func (r *rig) readAll(t *testing.T) []kafka.Message {
	t.Helper()
	end := topicEnd(t, r.broker, r.topic)
	rd := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{r.broker}, Topic: r.topic, Partition: 0, MaxWait: 200 * time.Millisecond})
	defer rd.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out []kafka.Message
	for int64(len(out)) < end {
		m, err := rd.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("%s: read %d of %d messages: %v", r.topic, len(out), end, err)
		}
		out = append(out, m)
	}
	return out
}

// check reads the rig's topic from the beginning: every message must pass
// the schema and carry its CloudEvents id; every wanted case must be there
// with all its evidence in MinIO matching its sha256. It returns how many
// messages were read per (case_id, seq), and the messages.
func (r *rig) check(t *testing.T, want []string) (map[string]int, []kafka.Message) {
	t.Helper()
	seen := map[string]int{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	msgs := r.readAll(t)
	for _, m := range msgs {
		if err := cases.ValidateCaseJSON(m.Value); err != nil {
			t.Fatalf("offset %d: %v", m.Offset, err)
		}
		var c struct {
			cases.Case
			Seq int `json:"seq"`
		}
		if err := json.Unmarshal(m.Value, &c); err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprintf("%s:%d", c.CaseID, c.Seq)
		hdr := map[string]string{}
		for _, h := range m.Headers {
			hdr[h.Key] = string(h.Value)
		}
		if hdr["ce_id"] != key || hdr["ce_specversion"] != "1.0" || hdr["ce_type"] != "patrol.case.opened" {
			t.Fatalf("case %s: headers %v", key, hdr)
		}
		seen[key]++
		if seen[key] > 1 {
			continue
		}
		for _, ev := range c.Evidence {
			data, err := r.store.Get(ctx, ev.Key)
			if err != nil {
				t.Fatalf("case %s: evidence %s: %v", key, ev.Key, err)
			}
			if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != ev.SHA256 || int64(len(data)) != ev.Size {
				t.Fatalf("case %s: evidence %s does not match its sha256/size", key, ev.Key)
			}
		}
	}
	for _, id := range want {
		if seen[id+":1"] == 0 {
			t.Errorf("case %s missing from %s", id, r.topic)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("%d distinct cases on the topic, want %d", len(seen), len(want))
	}
	return seen, msgs
}

// servicesScript returns deploy/testenv/services.sh, which stops and starts
// the real services, or skips when the services are external.
func servicesScript(t *testing.T) string {
	t.Helper()
	s := testenv.ServicesScript()
	if s == "" {
		t.Skip("PATROL_TEST_SERVICES is unset: the services are external, so this fault test cannot stop and restart them (make test sets it)")
	}
	return s
}

// service runs `services.sh action` (stop-minio, start-minio, ...).
func service(t *testing.T, script, action string) {
	t.Helper()
	start := time.Now()
	out, err := exec.Command(script, action).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", script, action, err, out)
	}
	t.Logf("services.sh %s: %v", action, time.Since(start).Round(time.Millisecond))
}
