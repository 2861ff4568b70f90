package pipeline

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/internal/detect/model"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/testkit/runtimes"
	"github.com/patrol-city/patrol/internal/testkit/testenv"
)

func realDetector(t *testing.T) (*model.Detector, *media.Image) {
	t.Helper()
	mirror := os.Getenv("PATROL_ASSET_MIRROR")
	if mirror == "" {
		mirror = testenv.Mirror()
	}
	lib, err := runtimes.ONNXRuntime()
	if err != nil {
		t.Fatal(err)
	}
	d, err := model.NewDetector(model.Config{ModelPath: filepath.Join(mirror, "models", "yolox_nano.onnx"), RuntimeLibrary: lib})
	if err != nil {
		t.Fatal(err)
	}
	m := gocv.IMRead(filepath.Join(mirror, "testdata", "images", "dog.jpg"), gocv.IMReadColor)
	defer m.Close()
	buf, _ := m.DataPtrUint8()
	return d, &media.Image{Width: m.Cols(), Height: m.Rows(), BGR: append([]byte(nil), buf...)}
}

// TestPoolFairUnderOverload: one camera's pictures arrive ten times faster
// than the others'. Every camera still gets inferences at its configured
// rate (1/s, within 20 %), and the fast camera's excess is dropped and
// counted. Runs the real model.
func TestPoolFairUnderOverload(t *testing.T) {
	det, img := realDetector(t)
	defer det.Close()
	md := MatDetector{D: det}
	const cams = 4
	const fast = 0
	var inferences [cams]atomic.Int64
	p := newPool([]time.Duration{time.Second, time.Second, time.Second, time.Second}, 0, func(_, cam int, f media.Frame) {
		if _, err := md.DetectImage(&f.Image); err != nil {
			t.Error(err)
		}
		inferences[cam].Add(1)
	})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); p.run(0) }()

	const run = 10 * time.Second
	start := time.Now()
	var offered [cams]int
	var feeders sync.WaitGroup
	for cam := 0; cam < cams; cam++ {
		period := time.Second
		if cam == fast {
			period = time.Second / 10
		}
		feeders.Add(1)
		go func() {
			defer feeders.Done()
			tick := time.NewTicker(period)
			defer tick.Stop()
			for time.Since(start) < run {
				p.offer(cam, media.Frame{Image: *img, Recv: time.Now()})
				offered[cam]++
				<-tick.C
			}
		}()
	}
	feeders.Wait()
	time.Sleep(300 * time.Millisecond)
	p.close()
	wg.Wait()

	want := run.Seconds()
	for cam := 0; cam < cams; cam++ {
		got := float64(inferences[cam].Load())
		replaced, tooSoon := p.dropped(cam)
		wait, taken := p.wait(cam)
		t.Logf("camera %d: offered %d, inferences %.0f, dropped %d (replaced %d, too soon %d), mean wait in the pool %v",
			cam, offered[cam], got, replaced+tooSoon, replaced, tooSoon, (wait / time.Duration(max(taken, 1))).Round(time.Millisecond))
		if got < want*0.8 || got > want*1.2 {
			t.Errorf("camera %d: %.0f inferences in %v, want %.0f ± 20 %%", cam, got, run, want)
		}
		if cam == fast && int(replaced+tooSoon) < offered[cam]-int(want*1.2) {
			t.Errorf("fast camera: only %d of %d pictures counted as dropped", replaced+tooSoon, offered[cam])
		}
	}
}
