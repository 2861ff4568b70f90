package media

import (
	"math"
	"testing"
	"time"
)

func TestClockExactForLongSessions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ticks int64
		want  time.Duration
	}{
		{"zero", 0, 0},
		{"one frame", 3600, 40 * time.Millisecond},
		{"28.5 h", 28*3600*VideoClockRate + 30*60*VideoClockRate, 28*time.Hour + 30*time.Minute},
		{"30 days", 30 * 24 * 3600 * VideoClockRate, 30 * 24 * time.Hour},
		{"past the naive overflow", math.MaxInt64/int64(time.Second) + 1, 0},
		{"negative", -3600, -40 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "past the naive overflow" {
				// The want above is itself computed the exact way:
				tc.want = time.Duration(tc.ticks/VideoClockRate)*time.Second +
					time.Duration(tc.ticks%VideoClockRate)*time.Second/VideoClockRate
				sec := time.Second
				if naive := time.Duration(tc.ticks) * sec / VideoClockRate; naive >= 0 {
					t.Fatalf("fixture does not overflow the naive form (%v)", naive)
				}
			}
			got := TicksToDuration(tc.ticks, VideoClockRate)
			if got != tc.want {
				t.Fatalf("TicksToDuration(%d) = %v, want %v", tc.ticks, got, tc.want)
			}
			if back := DurationToTicks(got, VideoClockRate); back != tc.ticks {
				t.Fatalf("DurationToTicks(%v) = %d, want %d", got, back, tc.ticks)
			}
		})
	}
}

func TestRTPTimestampWraps(t *testing.T) {
	base := uint32(math.MaxUint32 - 1000)
	if got := RTPTimestamp(base, 0, VideoClockRate); got != base {
		t.Fatalf("t=0: %d", got)
	}
	// 40 ms later the 32-bit timestamp has wrapped.
	if got := RTPTimestamp(base, 40*time.Millisecond, VideoClockRate); got != 3600-1001 {
		t.Fatalf("after wrap: %d", got)
	}
	// 30 days in: exact modulo 2^32.
	d := 30 * 24 * time.Hour
	want := uint32((uint64(base) + uint64(30*24*3600*VideoClockRate)) % (1 << 32))
	if got := RTPTimestamp(base, d, VideoClockRate); got != want {
		t.Fatalf("30 days: %d, want %d", got, want)
	}
}
