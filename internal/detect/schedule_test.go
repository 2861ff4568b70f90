package detect

import (
	"slices"
	"testing"
	"time"
)

func TestParseWindows(t *testing.T) {
	h, m := time.Hour, time.Minute
	tests := []struct {
		in   string
		want []Window
		ok   bool
	}{
		{"", nil, true},
		{"07:00-22:00", []Window{{7 * h, 22 * h}}, true},
		{" 07:00 - 09:30 , 17:00-19:30 ", []Window{{7 * h, 9*h + 30*m}, {17 * h, 19*h + 30*m}}, true},
		{"22:00-06:00", []Window{{22 * h, 6 * h}}, true},
		{"00:00-24:00", []Window{{0, 24 * h}}, true},
		{"12:00:30-12:01:00", []Window{{12*h + 30*time.Second, 12*h + m}}, true},
		{"07:00", nil, false},
		{"7:00-22:00", nil, false},
		{"07:00-22:60", nil, false},
		{"25:00-26:00", nil, false},
		{"24:00-06:00", nil, false},
		{"24:30-06:00", nil, false},
		{"07:00-07:00", nil, false},
		{"07:00-22:00,", nil, false},
		{"aa:bb-cc:dd", nil, false},
		{"+7:00-22:00", nil, false},
	}
	for _, tc := range tests {
		got, err := ParseWindows(tc.in)
		if (err == nil) != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("ParseWindows(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err == nil && len(got) > 0 {
			if again, err := ParseWindows(got[0].String()); err != nil || again[0] != got[0] {
				t.Errorf("%v does not round-trip: %v %v", got[0], again, err)
			}
		}
	}
}

func TestScheduleActive(t *testing.T) {
	shanghai := mustLocation(t, "Asia/Shanghai")
	day := func(hh, mm int) time.Time { return time.Date(2025, 3, 1, hh, mm, 0, 0, time.UTC) }
	tests := []struct {
		name    string
		windows string
		loc     *time.Location
		at      time.Time
		want    bool
	}{
		{"no windows: always", "", nil, day(3, 0), true},
		{"inside", "07:00-22:00", time.UTC, day(12, 0), true},
		{"at start", "07:00-22:00", time.UTC, day(7, 0), true},
		{"at end (exclusive)", "07:00-22:00", time.UTC, day(22, 0), false},
		{"before", "07:00-22:00", time.UTC, day(6, 59), false},
		{"second window", "07:00-09:00,17:00-19:00", time.UTC, day(18, 0), true},
		{"between windows", "07:00-09:00,17:00-19:00", time.UTC, day(12, 0), false},
		{"overnight late", "22:00-06:00", time.UTC, day(23, 30), true},
		{"overnight early", "22:00-06:00", time.UTC, day(5, 59), true},
		{"overnight day", "22:00-06:00", time.UTC, day(12, 0), false},
		{"whole day", "00:00-24:00", time.UTC, day(23, 59), true},
		// 23:30 UTC is 07:30 the next morning in Shanghai (UTC+8).
		{"Shanghai morning", "07:00-22:00", shanghai, day(23, 30), true},
		// 15:00 UTC is 23:00 in Shanghai.
		{"Shanghai night", "07:00-22:00", shanghai, day(15, 0), false},
		{"Shanghai overnight", "22:00-06:00", shanghai, day(15, 0), true},
		{"time given in Shanghai", "07:00-22:00", time.UTC, time.Date(2025, 3, 1, 7, 30, 0, 0, shanghai), false},
	}
	for _, tc := range tests {
		s := Schedule{Windows: mustWindows(t, tc.windows), Location: tc.loc}
		if got := s.Active(tc.at); got != tc.want {
			t.Errorf("%s: Active(%v) = %v, want %v", tc.name, tc.at, got, tc.want)
		}
	}
}

// FuzzParseWindows: any input either fails or yields valid windows that
// format and parse back to themselves.
func FuzzParseWindows(f *testing.F) {
	for _, s := range []string{"", "07:00-22:00", "22:00-06:00,07:00-08:00:30", "00:00-24:00", "24:00-01:00", "7:0-8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ws, err := ParseWindows(s)
		if err != nil {
			return
		}
		for _, w := range ws {
			if err := w.Validate(); err != nil {
				t.Fatalf("%q gave invalid %v: %v", s, w, err)
			}
			again, err := ParseWindows(w.String())
			if err != nil || len(again) != 1 || again[0] != w {
				t.Fatalf("%v does not round-trip: %v %v", w, again, err)
			}
			_ = Schedule{Windows: ws, Location: time.UTC}.Active(time.Unix(0, 0))
		}
	})
}
