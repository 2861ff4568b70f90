package ingest

import (
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/media"
)

func unitAt(t0 time.Time, i, gop, size int) media.AccessUnit {
	return media.AccessUnit{
		PTS:   time.Duration(i) * 100 * time.Millisecond,
		Recv:  t0.Add(time.Duration(i) * 100 * time.Millisecond),
		NALUs: [][]byte{make([]byte, size)},
		Key:   i%gop == 0,
	}
}

func TestRingBounds(t *testing.T) {
	t0 := time.Unix(1000, 0)
	for _, tc := range []struct {
		name     string
		maxDur   time.Duration
		maxBytes int64
		n, gop   int
		size     int
		maxUnits int
	}{
		{"by time", 3 * time.Second, 1 << 30, 200, 10, 100, 40},
		{"by bytes", time.Hour, 10_000, 200, 10, 100, 110},
		{"one huge gop kept", time.Hour, 100, 150, 100, 100, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRing(tc.maxDur, tc.maxBytes)
			for i := 1; i < tc.n; i++ { // starts at a non-key unit: dropped
				r.Push(unitAt(t0, i, tc.gop, tc.size))
			}
			st := r.Stats()
			if st.Units == 0 || st.Units > tc.maxUnits {
				t.Fatalf("units = %d, want 1..%d", st.Units, tc.maxUnits)
			}
			_, all := r.Range(t0, t0.Add(time.Hour))
			if !all[0].Key {
				t.Fatal("ring does not start at a key unit")
			}
			if st.Dropped == 0 && tc.gop > 1 {
				t.Fatal("leading non-key units were not dropped")
			}
			if tc.name == "by time" && st.Span > tc.maxDur {
				t.Fatalf("span %v > %v", st.Span, tc.maxDur)
			}
			if tc.name == "by bytes" && st.Bytes > tc.maxBytes {
				t.Fatalf("bytes %d > %d", st.Bytes, tc.maxBytes)
			}
		})
	}
}

func TestRingRangeStartsAtKey(t *testing.T) {
	t0 := time.Unix(1000, 0)
	r := NewRing(time.Minute, 1<<30)
	for i := 0; i < 300; i++ {
		r.Push(unitAt(t0, i, 25, 10))
	}
	from := t0.Add(13 * time.Second) // unit 130; last key at or before is 125
	to := t0.Add(20 * time.Second)   // unit 200
	_, units := r.Range(from, to)
	if len(units) != 76 {
		t.Fatalf("len = %d, want 76", len(units))
	}
	if !units[0].Key || units[0].Recv != t0.Add(12500*time.Millisecond) {
		t.Fatalf("first = %+v", units[0].Recv)
	}
	if units[len(units)-1].Recv != to {
		t.Fatalf("last = %v", units[len(units)-1].Recv)
	}
}
