package scenes

import (
	"os"
	"testing"

	"github.com/patrol-city/patrol/testkit/sim"
	"github.com/patrol-city/patrol/testkit/testenv"
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
