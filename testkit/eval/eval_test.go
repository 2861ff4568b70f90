package eval

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/patrol-city/patrol/models/assets"
	"github.com/patrol-city/patrol/testkit/runtimes"
	"github.com/patrol-city/patrol/testkit/testenv"
)

// TestSuite plays the whole evaluation suite through the real pipeline at
// the default configuration (motion gate on, sampling by need) and holds
// the accuracy targets: precision 1, recall 1, median alarm error at most
// 3 s, and the gate must have skipped inferences.
func TestSuite(t *testing.T) {
	t.Parallel() // real-time scenes: the suites play side by side
	mirror := os.Getenv(assets.MirrorEnv)
	if mirror == "" {
		mirror = testenv.Mirror()
	}
	rep, err := Run(context.Background(), Config{AssetDir: mirror, Fetcher: runtimes.Fetcher(mirror)})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := rep.Print(&out); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	if rep.Precision != 1 || rep.Recall != 1 || rep.AlarmErrorMedianS > 3 {
		t.Fatalf("precision %.3f recall %.3f median alarm error %.1fs; want 1, 1, <= 3", rep.Precision, rep.Recall, rep.AlarmErrorMedianS)
	}
	if rep.Gated == 0 {
		t.Fatalf("the default motion gate skipped no inference (%d inferences)", rep.Inferences)
	}
}

// TestSuiteNoMotionGate runs part of the suite with the motion gate off
// (motion_gate: false): the same cases, every sampled picture analysed.
func TestSuiteNoMotionGate(t *testing.T) {
	t.Parallel() // real-time scenes: the suites play side by side
	off := false
	mirror := os.Getenv(assets.MirrorEnv)
	if mirror == "" {
		mirror = testenv.Mirror()
	}
	rep, err := Run(context.Background(), Config{AssetDir: mirror, Fetcher: runtimes.Fetcher(mirror),
		MotionGate: &off, Scenes: []string{"eval-parked-long", "eval-passing", "eval-occluded", "eval-parked-short"}})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := rep.Print(&out); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	if rep.Precision != 1 || rep.Recall != 1 || rep.AlarmErrorMedianS > 3 {
		t.Fatalf("without the motion gate: precision %.3f recall %.3f median alarm error %.1fs", rep.Precision, rep.Recall, rep.AlarmErrorMedianS)
	}
	if rep.Gated != 0 {
		t.Fatalf("motion_gate: false, yet %d pictures were gated", rep.Gated)
	}
}

// TestRealSuite plays the real street clips (suite real) at the default
// configuration: no duplicate case for any object, no false alarm, and
// every expected case found (docs/accuracy.md).
func TestRealSuite(t *testing.T) {
	t.Parallel() // real-time scenes: the suites play side by side
	mirror := os.Getenv(assets.MirrorEnv)
	if mirror == "" {
		mirror = testenv.Mirror()
	}
	rep, err := Run(context.Background(), Config{AssetDir: mirror, Fetcher: runtimes.Fetcher(mirror), Suite: SuiteReal})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := rep.Print(&out); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	if rep.Duplicates != 0 || rep.Recall != 1 || rep.Precision != 1 {
		t.Fatalf("%d duplicate cases, precision %.3f, recall %.3f", rep.Duplicates, rep.Precision, rep.Recall)
	}
}
