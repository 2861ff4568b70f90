package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Window is a daily time-of-day interval [Start, End), both offsets from
// local midnight in [0, 24h]. End before Start wraps past midnight
// ("22:00-06:00" covers 22:00 to 06:00 the next morning).
type Window struct {
	Start, End time.Duration
}

// Windows is a rule's schedule: the daily windows when it is active, none
// meaning always. It is read from a string of comma-separated windows
// (ParseWindows) when the configuration is parsed, so the stages receive
// parsed windows and never check the text again.
type Windows []Window

// UnmarshalYAML parses the schedule string (ParseWindows).
func (ws *Windows) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: schedule: want a string like \"07:00-22:00\": %w", n.Line, err)
	}
	parsed, err := ParseWindows(s)
	if err != nil {
		return fmt.Errorf("line %d: schedule: %w", n.Line, err)
	}
	*ws = parsed
	return nil
}

// ParseWindows parses comma-separated windows "HH:MM-HH:MM" (seconds
// allowed, "HH:MM:SS"; "24:00" only as an end), for example
// "07:00-22:00" or "07:00-09:30,17:00-19:30" or "22:00-06:00". Spaces
// around items are ignored. An empty string yields no windows (always
// active). A window whose start equals its end is rejected as ambiguous;
// write "00:00-24:00" for the whole day.
func ParseWindows(s string) ([]Window, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []Window
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		a, b, ok := strings.Cut(item, "-")
		if !ok {
			return nil, fmt.Errorf("schedule window %q: want HH:MM-HH:MM", item)
		}
		start, err := parseClock(strings.TrimSpace(a))
		if err != nil {
			return nil, fmt.Errorf("schedule window %q: %w", item, err)
		}
		end, err := parseClock(strings.TrimSpace(b))
		if err != nil {
			return nil, fmt.Errorf("schedule window %q: %w", item, err)
		}
		w := Window{start, end}
		if err := w.Validate(); err != nil {
			return nil, fmt.Errorf("schedule window %q: %w", item, err)
		}
		out = append(out, w)
	}
	return out, nil
}

// parseClock parses "HH:MM" or "HH:MM:SS" into an offset from midnight.
func parseClock(s string) (time.Duration, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, fmt.Errorf("time %q: want HH:MM or HH:MM:SS", s)
	}
	var v [3]int
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || len(p) != 2 || p[0] < '0' || p[0] > '9' {
			return 0, fmt.Errorf("time %q: want two-digit fields", s)
		}
		v[i] = n
	}
	if v[0] > 24 || v[1] > 59 || v[2] > 59 || (v[0] == 24 && v[1]+v[2] != 0) {
		return 0, fmt.Errorf("time %q out of range", s)
	}
	return time.Duration(v[0])*time.Hour + time.Duration(v[1])*time.Minute + time.Duration(v[2])*time.Second, nil
}

// Validate checks that Start and End lie in [0, 24h], Start is before 24h
// and Start differs from End.
func (w Window) Validate() error {
	const day = 24 * time.Hour
	switch {
	case w.Start < 0 || w.Start >= day || w.End < 0 || w.End > day:
		return fmt.Errorf("window %v-%v outside 00:00-24:00", w.Start, w.End)
	case w.Start == w.End:
		return fmt.Errorf("window %s is empty (start equals end)", w)
	}
	return nil
}

// Contains reports whether the time of day tod (offset from midnight) is
// inside the window.
func (w Window) Contains(tod time.Duration) bool {
	if w.Start < w.End {
		return tod >= w.Start && tod < w.End
	}
	return tod >= w.Start || tod < w.End
}

// String formats the window as "HH:MM-HH:MM" (with seconds when set).
func (w Window) String() string { return clock(w.Start) + "-" + clock(w.End) }

func clock(d time.Duration) string {
	h, m, s := int(d/time.Hour), int(d/time.Minute)%60, int(d/time.Second)%60
	if s != 0 {
		return fmt.Sprintf("%02d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%02d:%02d", h, m)
}
