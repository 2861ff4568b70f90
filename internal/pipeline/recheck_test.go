package pipeline

import (
	"context"
	"errors"
	"image"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/detect"
	"github.com/patrol-city/patrol/internal/media"
)

// painted finds "a car" where the picture is pure blue, in whatever
// picture it is given (the whole frame or the second look's crop), so
// that its boxes follow the crop as a real detector's do.
type painted struct{}

func (painted) DetectImage(img *media.Image) ([]detect.Detection, error) {
	r := image.Rectangle{}
	for y := range img.Height {
		for x := range img.Width {
			i := (y*img.Width + x) * 3
			if img.BGR[i] == 255 && img.BGR[i+1] == 0 && img.BGR[i+2] == 0 {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	if r.Empty() {
		return nil, nil
	}
	return []detect.Detection{{Class: 2, Label: "car", Score: 0.8, Box: r}}, nil
}

// paint draws the car (pure blue) in r, or the background there: a
// grey gradient (a uniform picture would be reported covered).
func paint(img *media.Image, r image.Rectangle, on bool) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			i := (y*img.Width + x) * 3
			v := byte(40 + (x+y)%160)
			img.BGR[i], img.BGR[i+1], img.BGR[i+2] = v, v, v
			if on {
				img.BGR[i], img.BGR[i+1], img.BGR[i+2] = 255, 0, 0
			}
		}
	}
}

// TestRecheck: a re-check waits for the camera's next analysed picture
// and looks for the case's subject there: present while the car stands,
// gone after it left (also with the request's subject for a case the
// camera does not hold, and for a case it closed lately), "case not
// known" without a subject, "view blocked" with the lens covered, and
// "no fresh picture" when no picture comes within the wait.
func TestRecheck(t *testing.T) {
	t.Parallel()
	car := image.Rect(100, 200, 300, 330)
	cfg := &config.Config{
		Cameras: []config.Camera{{ID: "c", URL: "rtsp://127.0.0.1:1/x", DetectInterval: time.Second,
			Zones: []config.Zone{{ID: "z", Rules: []string{"park"}, Polygon: [][]float64{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}}}},
		Rules:   []config.Rule{{ID: "park", Code: "0505", Classes: []string{"car"}, MinDwell: 10 * time.Second}},
		Cases:   config.Lifecycle{CloseAfter: 20 * time.Second},
		DataDir: t.TempDir(),
	}
	cfg.ApplyDefaults()
	rec := &recorder{}
	p, err := New(cfg, Deps{Detector: painted{}, Publisher: rec})
	if err != nil {
		t.Fatal(err)
	}
	go p.books.run()
	defer p.books.close()
	w := p.cameras[0]
	img := media.Image{Width: 640, Height: 360, BGR: make([]byte, 640*360*3)}
	paint(&img, image.Rect(0, 0, 640, 360), false)
	paint(&img, car, true)
	t0 := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	now := t0
	step := func(n int) {
		for range n {
			now = now.Add(time.Second)
			w.process(media.Frame{Image: img, Recv: now}, painted{})
		}
	}
	// waiting returns once a re-check waits for the next picture.
	waiting := func() {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; {
			w.rechecks.mu.Lock()
			n := len(w.rechecks.jobs)
			w.rechecks.mu.Unlock()
			if n > 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the re-check never waited for a picture")
			}
			time.Sleep(time.Millisecond)
		}
	}
	// ask starts a re-check, analyses one more picture and returns what
	// the re-check found.
	ask := func(q RecheckQuery) RecheckResult {
		t.Helper()
		type out struct {
			r   RecheckResult
			err error
		}
		done := make(chan out, 1)
		go func() { r, err := p.Recheck(context.Background(), "c", q); done <- out{r, err} }()
		waiting()
		step(1)
		o := <-done
		if o.err != nil {
			t.Fatal(o.err)
		}
		return o.r
	}
	step(15)
	if rec.opened() != 1 || len(w.book.open) != 1 {
		t.Fatalf("%d cases opened, %d open; want the parked car's", rec.opened(), len(w.book.open))
	}
	id := w.book.open[0].CaseID
	subject := &cases.RecheckSubject{Label: "car", Box: normRect(car, 640, 360)}

	check := func(name string, r RecheckResult, status, reason string) {
		t.Helper()
		if r.Status != status || r.Reason != reason {
			t.Errorf("%s: %s %q, want %s %q", name, r.Status, r.Reason, status, reason)
		}
		if status != cases.RecheckUnknown && (len(r.JPEG) == 0 || r.Subject == nil || !r.At.Equal(now)) {
			t.Errorf("%s: picture %d bytes at %v, subject %v; want the picture analysed (%v)", name, len(r.JPEG), r.At, r.Subject, now)
		}
	}
	present := ask(RecheckQuery{CaseID: id})
	check("car standing", present, cases.RecheckPresent, "")
	if present.Score != 0.8 || present.Subject.Label != "car" {
		t.Errorf("car standing: score %v subject %+v", present.Score, present.Subject)
	}
	check("unknown case, no subject", ask(RecheckQuery{CaseID: "other"}), cases.RecheckUnknown, cases.RecheckNoCase)
	check("unknown case, request's subject", ask(RecheckQuery{CaseID: "other", Subject: subject}), cases.RecheckPresent, "")

	paint(&img, car, false)
	step(2)
	check("car gone, case open", ask(RecheckQuery{CaseID: id}), cases.RecheckGone, "")
	step(25)
	if len(w.book.open) != 0 {
		t.Fatalf("the case did not close")
	}
	check("case closed lately", ask(RecheckQuery{CaseID: id}), cases.RecheckGone, "case closed")

	// A lens covered (a uniform picture for covered_after): no decision.
	clear(img.BGR)
	step(31)
	check("view blocked", ask(RecheckQuery{CaseID: id}), cases.RecheckUnknown, cases.RecheckBlocked+": picture covered")

	r, err := p.Recheck(context.Background(), "c", RecheckQuery{CaseID: id, Wait: 20 * time.Millisecond})
	if err != nil || r.Status != cases.RecheckUnknown || len(r.Reason) < len(cases.RecheckNoPicture) || r.Reason[:len(cases.RecheckNoPicture)] != cases.RecheckNoPicture {
		t.Errorf("no picture within the wait: %+v, %v", r, err)
	}
	if _, err := p.Recheck(context.Background(), "nope", RecheckQuery{CaseID: id}); !errors.Is(err, ErrUnknownCamera) {
		t.Errorf("a camera the pipeline does not run: %v, want ErrUnknownCamera", err)
	}
	// A camera removed while a re-check waits: the re-check ends at once
	// with ErrUnknownCamera (its next owner answers), not after the wait.
	errc := make(chan error, 1)
	go func() {
		_, err := p.Recheck(context.Background(), "c", RecheckQuery{CaseID: id, Wait: time.Minute})
		errc <- err
	}()
	waiting()
	w.rechecks.cancel() // what RemoveCamera does once the camera stopped
	if err := <-errc; !errors.Is(err, ErrUnknownCamera) {
		t.Errorf("camera removed during the re-check: %v, want ErrUnknownCamera", err)
	}
}
