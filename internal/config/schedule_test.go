package config

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
		}
	})
}
