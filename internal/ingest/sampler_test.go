package ingest

import (
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/media"
)

// TestSamplerDecodesByNeed feeds 60 s of a 25 fps stream through the
// sampler and checks what it passes to the decoder: the fewest units that
// serve the interval, and sample points never further apart than the
// interval (plus a tenth).
func TestSamplerDecodesByNeed(t *testing.T) {
	const fps = 25
	frame := time.Second / fps
	tests := []struct {
		name              string
		gopFrames         int
		interval          time.Duration
		mode              string
		decoded, samples  int // over 60 s
		maxGap            time.Duration
		wantOnlyKeysInGOP bool
	}{
		// GOP 2 s, a picture every 4 s: every other key unit.
		{"gop2s-every4s", 50, 4 * time.Second, "auto", 15, 15, 4 * time.Second, true},
		{"gop2s-every2s", 50, 2 * time.Second, "auto", 30, 30, 2 * time.Second, true},
		// GOP 3 s, 4 s wanted: every key unit (skipping one would leave 6 s).
		{"gop3s-every4s", 75, 4 * time.Second, "auto", 20, 20, 3 * time.Second, true},
		// GOP 2 s, 1 s wanted: each GOP up to 1 s after its key unit
		// (26 units of 50: frames 0..25 plus the tolerance's 2).
		{"gop2s-every1s", 50, time.Second, "auto", 30 * 28, 60, time.Second, false},
		// GOP 10 s, 4 s wanted: each GOP up to 8 s, samples at 0, 4, 8 s.
		{"gop10s-every4s", 250, 4 * time.Second, "auto", 6 * 211, 18, 4 * time.Second, false},
		{"keyframes-forced", 50, time.Second, "keyframes", 30, 30, 2 * time.Second, true},
		{"all-forced", 50, time.Second, "all", 60 * fps, 60, time.Second, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := sampler{interval: tc.interval, mode: tc.mode}
			decoded, samples := 0, 0
			var last time.Duration
			maxGap := time.Duration(0)
			for i := 0; i < 60*fps; i++ {
				au := media.AccessUnit{PTS: time.Duration(i) * frame, Key: i%tc.gopFrames == 0}
				dec, smp := s.admit(&au)
				if smp && !dec {
					t.Fatalf("unit %d: a sample point that is not decoded", i)
				}
				if dec {
					decoded++
					// The first GOP, its length unknown, is sampled by time.
					if tc.wantOnlyKeysInGOP && !au.Key && i >= tc.gopFrames {
						t.Fatalf("unit %d: a non-key unit passed with a GOP within the interval", i)
					}
				}
				if smp {
					// The first two GOPs measure the GOP: gaps from then on.
					if samples > 0 && i > 2*tc.gopFrames {
						maxGap = max(maxGap, au.PTS-last)
					}
					samples++
					last = au.PTS
				}
			}
			t.Logf("decoded %d of %d units, %d sample points, largest gap %v", decoded, 60*fps, samples, maxGap)
			// The first GOP is measured, not known: allow its units.
			if decoded < tc.decoded-tc.gopFrames || decoded > tc.decoded+tc.gopFrames {
				t.Errorf("decoded %d units, want about %d", decoded, tc.decoded)
			}
			if samples < tc.samples-2 || samples > tc.samples+2 {
				t.Errorf("%d sample points, want about %d", samples, tc.samples)
			}
			if maxGap > tc.maxGap+tc.interval/10 {
				t.Errorf("largest gap between sample points %v, want <= %v", maxGap, tc.maxGap)
			}
		})
	}
}

// TestSamplerDropWaitsForKey: after a dropped unit nothing passes until
// the next key unit.
func TestSamplerDropWaitsForKey(t *testing.T) {
	s := sampler{interval: time.Second, mode: "auto"}
	frame := 40 * time.Millisecond
	for i := 0; i < 100; i++ { // two GOPs of 2 s: GOP measured
		au := media.AccessUnit{PTS: time.Duration(i) * frame, Key: i%50 == 0}
		s.admit(&au)
	}
	s.needKey = true
	for i := 101; i < 150; i++ {
		au := media.AccessUnit{PTS: time.Duration(i) * frame}
		if dec, _ := s.admit(&au); dec {
			t.Fatalf("unit %d passed while waiting for a key unit", i)
		}
	}
	if dec, smp := s.admit(&media.AccessUnit{PTS: 150 * frame, Key: true}); !dec || !smp {
		t.Fatalf("key unit after the wait: decode %v sample %v", dec, smp)
	}
}

// TestSamplerFirstGOP: the first GOP, whose length is known only at the
// next key unit, is sampled by time like a long GOP; it was decoded at its
// key unit alone, so a recording with a GOP of 4.3 s (the left-object
// clip) had one picture in its first 4.3 s instead of five, and the bag
// left later was never found.
func TestSamplerFirstGOP(t *testing.T) {
	t.Parallel()
	frame := time.Second / 30
	for _, tc := range []struct {
		mode string
		want int // sample points in the first GOP
	}{{"auto", 5}, {"keyframes", 1}} {
		s := sampler{interval: time.Second, mode: tc.mode}
		samples := 0
		for i := range 128 { // 4.27 s, the next key unit at frame 128
			au := media.AccessUnit{PTS: time.Duration(i) * frame, Key: i == 0}
			if _, smp := s.admit(&au); smp {
				samples++
			}
		}
		if samples != tc.want {
			t.Errorf("%s: %d sample points in the first GOP of 4.27 s at 1 s, want %d", tc.mode, samples, tc.want)
		}
	}
}
