package demo

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/pmp4"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/testkit/testenv"
	"github.com/patrol-city/patrol/models/assets"
)

// TestDemoLeavesCases runs the demo (embedded Kafka, directory store) for
// one parking episode and checks cases.jsonl and the clip it points to.
func TestDemoLeavesCases(t *testing.T) {
	if os.Getenv(assets.MirrorEnv) == "" {
		t.Setenv(assets.MirrorEnv, testenv.Mirror())
	}
	data := t.TempDir()
	var out bytes.Buffer
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	err := Run(context.Background(), Config{DataDir: data, Duration: 40 * time.Second, MinDwell: 10 * time.Second, Out: &out, ConsoleListen: "127.0.0.1:0"}, log)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(data, "cases.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []cases.Case
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if err := cases.ValidateCaseJSON(sc.Bytes()); err != nil {
			t.Fatalf("published case fails the schema: %v", err)
		}
		var c cases.Case
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("cases.jsonl line is not a case: %v", err)
		}
		got = append(got, c)
	}
	if len(got) != 1 {
		t.Fatalf("got %d cases, want 1 (one car parks once in 40 s)\n%s", len(got), out.String())
	}
	c := got[0]
	if c.Rule.Code != "0505" || c.Camera.ID != "demo-cam-1" {
		t.Errorf("unexpected case %s", c.Summary())
	}
	if !strings.Contains(out.String(), "console http://127.0.0.1:") || !strings.Contains(out.String(), "user demo, password ") {
		t.Errorf("the console and its demo user are not printed:\n%s", out.String())
	}
	if c.Camera.Address == "" || c.Camera.Grid == "" || c.Camera.Latitude == nil {
		t.Errorf("the demo case has no place: %+v", c.Camera)
	}
	if !strings.Contains(out.String(), c.CaseID) || !strings.Contains(out.String(), "clip=") {
		t.Errorf("no readable line for the case; printed:\n%s", out.String())
	}
	clips := 0
	defer func() {
		if clips != 1 {
			t.Errorf("%d confirmation clips, want 1", clips)
		}
	}()
	for _, e := range c.Evidence {
		path := filepath.Join(data, "evidence", e.Bucket, filepath.FromSlash(e.Key))
		st, err := os.Stat(path)
		if err != nil || st.Size() != e.Size {
			t.Fatalf("evidence %s: %v (size %d, case says %d)", path, err, st.Size(), e.Size)
		}
		if e.Kind != "clip" || e.Role != "confirmation" {
			continue
		}
		clips++
		fh, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		var p pmp4.Presentation
		err = p.Unmarshal(fh)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		tr := p.Tracks[0]
		if _, ok := tr.Codec.(*mp4.CodecH264); !ok {
			t.Fatalf("clip codec %T, want H.264", tr.Codec)
		}
		var ticks int64
		for _, s := range tr.Samples {
			ticks += int64(s.Duration)
		}
		dur := time.Duration(ticks) * time.Second / time.Duration(tr.TimeScale)
		want := config.DefaultPreRoll + config.DefaultPostRoll
		if dur < want-2*time.Second || dur > want+2*time.Second {
			t.Errorf("clip lasts %v, want %v ± 2 s", dur, want)
		}
	}
}
