package demux_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/ingest/av"
	"github.com/patrol-city/patrol/internal/ingest/demux"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/testkit/testenv"
)

// videoDir returns the mirror's footage directory, skipping the test when
// the mirror is missing.
func videoDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(testenv.Mirror(), "testdata", "video")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("asset mirror missing (set %s): %v", testenv.MirrorEnv, err)
	}
	return dir
}

// played is everything a File yielded.
type played struct {
	params     media.Params
	w, h       int
	transcoded bool
	from       string
	duration   time.Duration
	skipped    int
	units      []media.AccessUnit
}

// playAll opens path and reads it to io.EOF.
func playAll(t *testing.T, path string, opt demux.Options) played {
	t.Helper()
	f, err := demux.Open(path, opt)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	var p played
	p.params = f.Params()
	p.w, p.h = f.Size()
	p.transcoded, p.from = f.Transcoded()
	p.duration = f.Duration()
	for {
		au, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Next after %d units: %v", len(p.units), err)
		}
		p.units = append(p.units, au)
	}
	p.skipped = f.Skipped()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// keys returns the indexes of the key units.
func (p played) keys() []int {
	var out []int
	for i, au := range p.units {
		if au.Key {
			out = append(out, i)
		}
	}
	return out
}

// check verifies what every file must give: a key unit first at PTS 0,
// distinct PTS (so a strict presentation order), NAL units without start
// codes, parameter sets, and key units that decode to the picture size.
func (p played) check(t *testing.T) {
	t.Helper()
	if len(p.units) == 0 {
		t.Fatal("no units")
	}
	if first := p.units[0]; !first.Key || first.PTS != 0 {
		t.Fatalf("first unit: key %v PTS %v, want a key unit at 0", first.Key, first.PTS)
	}
	pts := make([]time.Duration, len(p.units))
	for i, au := range p.units {
		pts[i] = au.PTS
		for _, n := range au.NALUs {
			if len(n) == 0 || (len(n) >= 3 && n[0] == 0 && n[1] == 0 && (n[2] == 1 || n[2] == 0)) {
				t.Fatalf("unit %d: NALU empty or with a start code: % x", i, n[:min(len(n), 4)])
			}
		}
		if !au.Recv.IsZero() || !au.CameraTime.IsZero() {
			t.Fatalf("unit %d: Recv/CameraTime set", i)
		}
	}
	slices.Sort(pts)
	for i := 1; i < len(pts); i++ {
		if pts[i] <= pts[i-1] {
			t.Fatalf("PTS %v appears twice: no strict presentation order", pts[i])
		}
	}
	if len(p.params.SPS) == 0 || len(p.params.PPS) == 0 || (p.params.Codec == media.H265 && len(p.params.VPS) == 0) {
		t.Fatalf("params incomplete: %+v", p.params)
	}
	dec, err := av.NewDecoder(p.params.Codec)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	for _, i := range p.keys() {
		img, err := dec.DecodeIntra(p.params.Prepend(p.units[i].NALUs))
		if err != nil || img == nil {
			t.Fatalf("key unit %d: decode: %v (picture %v)", i, err, img != nil)
		}
		if img.Width != p.w || img.Height != p.h {
			t.Fatalf("key unit %d: picture %dx%d, Size %dx%d", i, img.Width, img.Height, p.w, p.h)
		}
	}
}

// maxPTS is the presentation time of the last picture.
func (p played) maxPTS() time.Duration {
	var m time.Duration
	for _, au := range p.units {
		m = max(m, au.PTS)
	}
	return m
}

func near(a, b, tol time.Duration) bool { return a-b <= tol && b-a <= tol }

func TestClips(t *testing.T) {
	t.Parallel()
	dir := videoDir(t)
	for _, tc := range []struct {
		file     string
		w, h     int
		units    int
		keys     int
		last     time.Duration // PTS of the last picture
		duration time.Duration // the container's
		from     string        // transcoded from ("": passed through)
	}{
		{"sidewalk_cctv_left_object.mp4", 720, 480, 742, 6, 24700 * time.Millisecond, 24733300 * time.Microsecond, ""},
		{"car-detection.mp4", 768, 432, 377, 7, 30080 * time.Millisecond, 30208 * time.Millisecond, ""},
		{"street/haiphong_junction_queue.mp4", 1006, 720, 142, 1, 7033 * time.Millisecond, 7080635 * time.Microsecond, ""},
		{"street/hcmc_junction_traffic.mp4", 1018, 720, 205, 2, 10200 * time.Millisecond, 10266667 * time.Microsecond, ""},
		{"street/pedestrian_street_cctv.mp4", 854, 480, 332, 3, 13240 * time.Millisecond, 15001 * time.Millisecond, ""},
		// MPEG-4 Part 2 with packed B-frames: 750 packets, two of them
		// empty placeholders, so 748 pictures at 25 fps.
		{"street/motorway_cctv_320.avi", 320, 240, 748, 15, 29880 * time.Millisecond, 30 * time.Second, "mpeg4"},
	} {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			p := playAll(t, filepath.Join(dir, tc.file), demux.Options{})
			p.check(t)
			if p.w != tc.w || p.h != tc.h {
				t.Errorf("Size %dx%d, want %dx%d", p.w, p.h, tc.w, tc.h)
			}
			if p.transcoded != (tc.from != "") || p.from != tc.from {
				t.Errorf("Transcoded() = %v, %q; want from %q", p.transcoded, p.from, tc.from)
			}
			if p.params.Codec != media.H264 {
				t.Errorf("codec %s, want h264", p.params.Codec)
			}
			if len(p.units) != tc.units || len(p.keys()) != tc.keys {
				t.Errorf("%d units, %d keys; want %d, %d", len(p.units), len(p.keys()), tc.units, tc.keys)
			}
			if m := p.maxPTS(); !near(m, tc.last, time.Millisecond) || m > p.duration {
				t.Errorf("last PTS %v, want %v (container duration %v)", m, tc.last, p.duration)
			}
			if !near(p.duration, tc.duration, time.Millisecond) {
				t.Errorf("Duration %v, want %v", p.duration, tc.duration)
			}
			if p.skipped != 0 {
				t.Errorf("Skipped %d, want 0", p.skipped)
			}
			if tc.from != "" {
				// x264 with GOP 2 s: a key unit every 50 pictures, in
				// presentation order with a 40 ms step.
				for i, k := range p.keys() {
					if k != 50*i || p.units[k].PTS != time.Duration(i)*2*time.Second {
						t.Errorf("key %d: unit %d at %v, want unit %d at %v", i, k, p.units[k].PTS, 50*i, time.Duration(i)*2*time.Second)
					}
				}
				for i := 1; i < len(p.units); i++ {
					if d := p.units[i].PTS - p.units[i-1].PTS; d != 40*time.Millisecond {
						t.Fatalf("unit %d: PTS step %v, want 40ms", i, d)
					}
				}
			}
			t.Logf("%s: %d units, %d keys, last PTS %v, %v", tc.file, len(p.units), len(p.keys()), p.maxPTS(), time.Since(start))
		})
	}
}

func TestTranscodeOptions(t *testing.T) {
	t.Parallel()
	path := filepath.Join(videoDir(t), "street", "motorway_cctv_320.avi")
	p := playAll(t, path, demux.Options{GOP: 500 * time.Millisecond, Bitrate: 200_000})
	p.check(t)
	// 0.5 s at 25 fps rounds to a key every 13 pictures: 58 of 748.
	if n := len(p.keys()); n != 58 || p.units[p.keys()[1]].PTS != 520*time.Millisecond {
		t.Errorf("%d keys with a 0.5 s GOP, want 58, 13 pictures apart", n)
	}
	for _, opt := range []demux.Options{{GOP: -time.Second}, {Bitrate: -1}} {
		if f, err := demux.Open(path, opt); err == nil {
			f.Close()
			t.Errorf("Open with %+v: no error", opt)
		}
	}
}
