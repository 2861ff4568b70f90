package console

import (
	"fmt"
	"time"
)

// periodStart is the start of t's day, week (Monday) or month in loc.
func periodStart(t time.Time, period string, loc *time.Location) time.Time {
	t = t.In(loc)
	y, m, d := t.Date()
	switch period {
	case periodWeek:
		return time.Date(y, m, d-(int(t.Weekday())+6)%7, 0, 0, 0, 0, t.Location())
	case periodMonth:
		return time.Date(y, m, 1, 0, 0, 0, 0, t.Location())
	}
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// periodNext is the start of the period after the one starting at p.
func periodNext(p time.Time, period string) time.Time {
	switch period {
	case periodWeek:
		return p.AddDate(0, 0, 7)
	case periodMonth:
		return p.AddDate(0, 1, 0)
	}
	return p.AddDate(0, 0, 1)
}

// periodLabel names the period starting at p: 2026-12-02, 2026-W49
// (from Monday 2026-11-30), 2026-12. Labels sort in time order.
func periodLabel(p time.Time, period string) string {
	switch period {
	case periodWeek:
		y, w := p.ISOWeek()
		return fmt.Sprintf("%d-W%02d (%s)", y, w, p.Format("01-02"))
	case periodMonth:
		return p.Format("2006-01")
	}
	return p.Format(time.DateOnly)
}

// dimOf is a case's value of the dimension and its label.
func dimOf(c *statsCase, dim string) (key, label string) {
	switch dim {
	case dimCamera:
		if c.CameraName != "" {
			return c.Camera, c.CameraName + " (" + c.Camera + ")"
		}
		return c.Camera, c.Camera
	case dimGrid:
		if c.Grid == "" {
			return "", "" // the page and exports name it (stats.no_grid)
		}
		return c.Grid, c.Grid
	case dimRule:
		return c.Rule, c.Rule
	}
	if c.CodeName != "" {
		return c.Code, c.Code + " " + c.CodeName
	}
	return c.Code, c.Code
}
