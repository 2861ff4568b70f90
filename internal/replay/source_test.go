package replay

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/patrol-city/patrol/internal/media"
)

// units returns n units 40 ms apart (25 fps) with a key unit every gop.
func units(n, gop int) []media.AccessUnit {
	out := make([]media.AccessUnit, n)
	for i := range out {
		out[i] = media.AccessUnit{PTS: time.Duration(i) * 40 * time.Millisecond, Key: i%gop == 0, NALUs: [][]byte{{byte(i)}}}
	}
	return out
}

// play reads src to its end and returns the units' PTS and Recv offsets
// from start, checking that the clock never runs ahead of the units read.
func play(t *testing.T, src *source, start time.Time) (pts, recv []time.Duration) {
	t.Helper()
	for {
		au, params, err := src.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return pts, recv
		}
		if err != nil {
			t.Fatal(err)
		}
		if params.Codec != media.H264 {
			t.Fatalf("params %+v", params)
		}
		if now := src.clock.Now(); now.After(au.Recv) {
			t.Fatalf("clock %v ahead of the unit being read (%v)", now.Sub(start), au.Recv.Sub(start))
		}
		pts = append(pts, au.PTS)
		recv = append(recv, au.Recv.Sub(start))
	}
}

func TestSourceLoopsFromTo(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	params := media.Params{Codec: media.H264, SPS: []byte{0x67}, PPS: []byte{0x68}}
	for _, c := range []struct {
		name       string
		in         Input
		n          int           // units played
		first      time.Duration // PTS of the first unit of the file played
		lastRecv   time.Duration
		played     time.Duration // all loops
		loop2Start time.Duration // replay time of the second loop's first unit
	}{
		{"whole file once", Input{}, 100, 0, 3960 * time.Millisecond, 4 * time.Second, -1},
		{"three loops", Input{Loops: 3}, 300, 0, 11960 * time.Millisecond, 12 * time.Second, 4 * time.Second},
		{"exact period", Input{Loops: 2, Period: 5 * time.Second}, 200, 0, 8960 * time.Millisecond, 10 * time.Second, 5 * time.Second},
		// From 1.1 s: the key unit at or before it is at 0.8 s (every 20th).
		{"from starts at the key unit before", Input{From: 1100 * time.Millisecond}, 80, 800 * time.Millisecond, 3160 * time.Millisecond, 3200 * time.Millisecond, -1},
		{"from and to, looped", Input{Loops: 2, From: 1600 * time.Millisecond, To: 2 * time.Second}, 22, 1600 * time.Millisecond, 840 * time.Millisecond, 880 * time.Millisecond, 440 * time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := c.in
			in.Open = Units(params, units(100, 20))
			clock := clockwork.NewFakeClockAt(start)
			src := newSource(in, start, 0, clock)
			pts, recv := play(t, src, start)
			if len(pts) != c.n {
				t.Fatalf("%d units played, want %d", len(pts), c.n)
			}
			if recv[0] != 0 || recv[len(recv)-1] != c.lastRecv {
				t.Fatalf("replay times %v..%v, want 0..%v", recv[0], recv[len(recv)-1], c.lastRecv)
			}
			for i := 1; i < len(recv); i++ {
				if recv[i] <= recv[i-1] || pts[i] != recv[i] {
					t.Fatalf("unit %d: PTS %v, replay time %v after %v: want increasing and equal", i, pts[i], recv[i], recv[i-1])
				}
			}
			if src.offset != c.played {
				t.Fatalf("played %v, want %v", src.offset, c.played)
			}
			if loop, at := fileTime(src.spans, 0); loop != 1 || at != c.first {
				t.Fatalf("start maps to loop %d at %v, want loop 1 at %v", loop, at, c.first)
			}
			if c.loop2Start >= 0 {
				if loop, at := fileTime(src.spans, c.loop2Start+40*time.Millisecond); loop != 2 || at != c.first+40*time.Millisecond {
					t.Fatalf("second loop maps to loop %d at %v", loop, at)
				}
			}
			if now := clock.Now().Sub(start); now != c.lastRecv {
				t.Fatalf("clock at %v after the last unit, want %v", now, c.lastRecv)
			}
		})
	}
}

func TestSourceErrors(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	params := media.Params{Codec: media.H264}
	failing := errors.New("disk gone")
	for _, c := range []struct {
		name string
		in   Input
		want string
	}{
		{"from beyond the end", Input{Open: Units(params, units(10, 5)), From: time.Minute}, "played no video"},
		{"open fails on the second loop", Input{Loops: 2, Open: func() func() (Reader, error) {
			n := 0
			return func() (Reader, error) {
				n++
				if n > 1 {
					return nil, failing
				}
				return Units(params, units(10, 5))()
			}
		}()}, "loop 2: disk gone"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			src := newSource(c.in, start, 0, clockwork.NewFakeClockAt(start))
			var err error
			for err == nil {
				_, _, err = src.Next(context.Background())
			}
			if errors.Is(err, io.EOF) || err.Error() == "" || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if src.err == nil {
				t.Fatal("the source did not keep its error for Run")
			}
		})
	}
}

// TestSourcePace: at speed 4 a 2 s recording takes about 0.5 s of wall
// time; the bound is loose (no timing assertion beyond "it waited").
func TestSourcePace(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	src := newSource(Input{Open: Units(media.Params{Codec: media.H264}, units(50, 25))}, start, 4, clockwork.NewFakeClockAt(start))
	began := time.Now()
	play(t, src, start)
	if el := time.Since(began); el < 400*time.Millisecond {
		t.Fatalf("speed 4 played 1.96 s of units in %v: did not wait", el)
	}
}
