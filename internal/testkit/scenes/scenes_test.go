package scenes

import (
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/testkit/sim"
	"github.com/patrol-city/patrol/internal/testkit/testenv"
)

// TestScenesLoadAndRender validates every embedded scene and renders its
// first and middle frames from the asset mirror.
func TestScenesLoadAndRender(t *testing.T) {
	mirror := os.Getenv("PATROL_ASSET_MIRROR")
	if mirror == "" {
		mirror = testenv.Mirror()
	}
	names := Names()
	if len(names) < 10 {
		t.Fatalf("only %d scenes", len(names))
	}
	for _, n := range names {
		sc, err := Load(n)
		if err != nil {
			t.Fatal(err)
		}
		if sc.Video != "" {
			st, err := sim.FileStream(filepath.Join(mirror, filepath.FromSlash(sc.Video)), sim.FileOptions{})
			if err != nil {
				t.Fatalf("%s: %v", n, err)
			}
			if len(st.Units) == 0 || st.Period < time.Second {
				t.Fatalf("%s: %d units over %v", n, len(st.Units), st.Period)
			}
			continue
		}
		tr := sc.Truth()
		if len(tr.Actors) != len(sc.Actors) {
			t.Fatalf("%s: truth has %d actors", n, len(tr.Actors))
		}
		r, err := sim.NewRenderer(sc, mirror)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		for _, i := range []int{0, sc.Frames() / 2} {
			img := r.Frame(i)
			if img.Width != sc.Size[0] || len(img.BGR) != sc.Size[0]*sc.Size[1]*3 {
				t.Fatalf("%s: frame %d is %dx%d", n, i, img.Width, img.Height)
			}
		}
		r.Close()
	}
}

// TestRushHourTraffic checks the generated rush hour: hundreds of vehicles
// in both directions, queues that rest under a minute at the light, and no
// two vehicles of a lane drawn over each other.
func TestRushHourTraffic(t *testing.T) {
	sc, err := Load("eval-rush-hour")
	if err != nil {
		t.Fatal(err)
	}
	tr := sc.Truth()
	if len(tr.Actors) < 300 {
		t.Fatalf("%d vehicles in 10 minutes", len(tr.Actors))
	}
	queued := 0
	for _, a := range tr.Actors {
		for _, r := range a.Rests {
			if d := r.To - r.From; d >= 45*time.Second {
				t.Fatalf("%s rests %v, want under 45 s (min_dwell 60 s)", a.ID, d)
			}
			queued++
		}
	}
	if queued < 16 {
		t.Fatalf("%d queued vehicles", queued)
	}
	w, h := sc.Size[0], sc.Size[1]
	for at := time.Duration(0); at < sc.Duration; at += 500 * time.Millisecond {
		lanes := map[string][]image.Rectangle{}
		for i := range sc.Actors {
			a := &sc.Actors[i]
			if b, ok := a.BoxAt(at, w, h); ok {
				lane := a.ID[:4]
				for _, o := range lanes[lane] {
					if in := b.Intersect(o); in.Dx()*in.Dy()*4 > b.Dx()*b.Dy() {
						t.Fatalf("%v: %s drawn over another vehicle of its lane", at, a.ID)
					}
				}
				lanes[lane] = append(lanes[lane], b)
			}
		}
	}
}
