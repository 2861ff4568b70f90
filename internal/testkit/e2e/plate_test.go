package e2e

import (
	"context"
	"image"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/detect/plate"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/testkit/runtimes"
	"github.com/patrol-city/patrol/internal/worker"
)

// plateLabel is the label of testdata/plates/street_suED51712.jpg.
const plateLabel = "苏ED51712"

// vanPlate is another vehicle's plate in that picture: the white van's
// green plate behind the motorbike, partly hidden (labelled by hand, in
// the picture's 1920x1080 pixels).
var vanPlate = image.Rect(280, 407, 331, 425)

// TestPlateCase: a simulated 1080p camera whose picture is the kerb-side
// sedan of testdata/plates/street_suED51712.jpg, a 0505 zone over it, a
// worker on the real Kafka and MinIO. The case carries the plate, the
// explanation's second look, and a redacted snapshot in which the case's
// plate still reads and something else (faces, the other vehicles'
// plates) is blurred.
func TestPlateCase(t *testing.T) {
	parallel(t, loadPlate)
	broker, s3cfg := services(t)
	cam := newSimCamera(t, nil, "plate-street", media.H264, "e2e-plate")
	cfg := camConfig(t, broker, s3cfg, cam.ID, cam.URL(), func(c *config.Config) {
		c.Cameras[0].Zones = []config.Zone{{ID: "kerb", Rules: []string{"illegal-parking"},
			Polygon: [][]float64{{0.3, 0.6}, {0.99, 0.6}, {0.99, 0.99}, {0.3, 0.99}}}}
		c.Rules = parkingRule(6*time.Second, "car", "truck", "bus")
		c.Evidence.PreRoll, c.Evidence.PostRoll = 4*time.Second, 2*time.Second
	})
	from := topicEnd(t, broker, cfg.Kafka.CasesTopic)
	w := startWorker(t, t.Context(), cfg, worker.Deps{})
	cam.play(t)
	time.Sleep(cam.Scene.Truth().Duration - 4*time.Second)
	if err := w.Stop(); err != nil {
		t.Fatal(err)
	}
	var opened []cases.Case
	for _, wc := range camCases(t, broker, cfg.Kafka.CasesTopic, from, cam.ID, 3*time.Second) {
		if wc.Event == cases.EventOpened {
			opened = append(opened, wc.Case)
		}
	}
	if len(opened) != 1 {
		for _, c := range opened {
			t.Logf("case: %s", c.Summary())
		}
		t.Fatalf("%d cases opened, want 1 (the sedan)", len(opened))
	}
	c := opened[0]
	// A wrong plate is never published, and this one is read: the
	// reader on up to three key frames of the dwell, at least two
	// agreeing.
	p := c.Plate
	if p == nil || p.Reads == 0 {
		t.Fatalf("plate %+v: no read on a parking case", p)
	}
	if p.Text == nil || *p.Text != plateLabel || p.Box == nil {
		t.Fatalf("plate %+v (reason %q, %d reads, %d agreeing), want %s", p.Text, p.Reason, p.Reads, p.Agreeing, plateLabel)
	}
	t.Logf("plate %s: score %.2f, %d of %d reads agree, box %v", *p.Text, p.Score, p.Agreeing, p.Reads, *p.Box)
	sl := c.Explanation.SecondLook
	if sl == nil || sl.Label != "car" || sl.Score < config.DefaultSecondLookScore {
		t.Fatalf("second look %+v, want a car at %.2f or more", sl, config.DefaultSecondLookScore)
	}
	t.Logf("second look: %s %.2f (first look: median %.2f)", sl.Label, sl.Score, c.Explanation.Score)

	store, err := evidence.NewS3(context.Background(), s3cfg)
	if err != nil {
		t.Fatal(err)
	}
	clean, redacted := snapshotOf(t, store, c, "confirmation", false), snapshotOf(t, store, c, "redacted", false)
	defer clean.Close()
	defer redacted.Close()
	checkRedacted(t, clean, redacted, p.Box)
}

// snapshotOf fetches and decodes the case's snapshot of role (annotated
// or not).
func snapshotOf(t *testing.T, store *evidence.S3, c cases.Case, role string, annotated bool) gocv.Mat {
	t.Helper()
	for _, ev := range c.Evidence {
		if ev.Kind != "snapshot" || ev.Role != role || ev.Annotated != annotated {
			continue
		}
		data, err := store.Get(context.Background(), ev.Key)
		if err != nil {
			t.Fatal(err)
		}
		img, err := gocv.IMDecode(data, gocv.IMReadColor)
		if err != nil || img.Empty() {
			t.Fatalf("%s snapshot does not decode: %v", role, err)
		}
		return img
	}
	t.Fatalf("no %s snapshot (annotated %v) among the evidence", role, annotated)
	return gocv.Mat{}
}

// checkRedacted: the redacted copy differs from the clean snapshot (faces
// and the other vehicles' plates blurred); when the case has a plate
// (box, normalized), not there, and it still reads as the label.
func checkRedacted(t *testing.T, clean, redacted gocv.Mat, box *[4]float64) {
	t.Helper()
	if clean.Cols() != redacted.Cols() || clean.Rows() != redacted.Rows() {
		t.Fatalf("redacted copy %dx%d, snapshot %dx%d", redacted.Cols(), redacted.Rows(), clean.Cols(), clean.Rows())
	}
	diff := gocv.NewMat()
	defer diff.Close()
	gocv.AbsDiff(clean, redacted, &diff)
	gray := gocv.NewMat()
	defer gray.Close()
	gocv.CvtColor(diff, &gray, gocv.ColorBGRToGray)
	changed := gocv.CountNonZero(gray)
	if changed < 500 {
		t.Errorf("only %d pixels blurred: nothing redacted", changed)
	}
	van := gray.Region(vanPlate)
	vanDiff := van.Mean().Val1
	van.Close()
	t.Logf("redacted copy: mean difference %.1f at the van's plate %v", vanDiff, vanPlate)
	if vanDiff < 5 {
		t.Errorf("the van's plate %v is not blurred in the redacted copy (mean difference %.1f)", vanPlate, vanDiff)
	}
	if box == nil {
		t.Logf("redacted copy: %d pixels differ from the snapshot", changed)
		return
	}
	W, H := float64(clean.Cols()), float64(clean.Rows())
	pb := image.Rect(int(box[0]*W), int(box[1]*H), int((box[0]+box[2])*W), int((box[1]+box[3])*H))
	atPlate := gray.Region(pb)
	defer atPlate.Close()
	mean := atPlate.Mean().Val1
	t.Logf("redacted copy: %d pixels differ from the snapshot, mean difference at the case's plate %.2f", changed, mean)
	if mean > 2 {
		t.Errorf("the case's plate %v changed in the redacted copy (mean difference %.2f)", pb, mean)
	}
	// The case's plate still reads on the redacted copy.
	lib, err := runtimes.ONNXRuntime()
	if err != nil {
		t.Fatal(err)
	}
	r, err := plate.Pull(context.Background(), runtimes.Fetcher(assetMirror(t)), lib)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := r.ReadVehicle(redacted, pb.Inset(-pb.Dx()))
	if err != nil || got.Text != plateLabel {
		t.Errorf("the case's plate on the redacted copy reads %q (%v), want %s", got.Text, err, plateLabel)
	}
}
