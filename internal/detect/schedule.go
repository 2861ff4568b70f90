package detect

import (
	"time"

	"github.com/patrol-city/patrol/internal/config"
)

// Window is a daily time-of-day interval, parsed with the configuration
// (config.ParseWindows).
type Window = config.Window

// Schedule is a set of daily windows in a time zone.
type Schedule struct {
	// Windows when the schedule is active; none means always.
	Windows []Window
	// Location is the time zone of the windows; nil means time.Local.
	Location *time.Location
}

// Active reports whether t falls in one of the windows, read on the wall
// clock of Location (so "07:00-22:00" in Asia/Shanghai is 23:00-14:00 UTC).
func (s Schedule) Active(t time.Time) bool {
	if len(s.Windows) == 0 {
		return true
	}
	loc := s.Location
	if loc == nil {
		loc = time.Local
	}
	lt := t.In(loc)
	tod := time.Duration(lt.Hour())*time.Hour + time.Duration(lt.Minute())*time.Minute +
		time.Duration(lt.Second())*time.Second + time.Duration(lt.Nanosecond())
	for _, w := range s.Windows {
		if w.Contains(tod) {
			return true
		}
	}
	return false
}
