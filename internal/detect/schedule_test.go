package detect

import (
	"testing"
	"time"
)

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
