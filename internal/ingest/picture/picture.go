// Package picture watches the decoded pictures of a camera for problems an
// operator must know about: a frozen picture (the same picture for a long
// time, as when an encoder hangs) and a covered or black lens (very dark or
// almost uniform pictures). It works on a small grey thumbnail sampled from
// each picture, so it costs microseconds per picture.
package picture

import (
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/patrol-city/patrol/internal/media"
)

// Config tunes the monitor. Zero fields take the defaults.
type Config struct {
	// FrozenAfter is how long pictures must stay identical to report a
	// frozen picture (default 2m).
	FrozenAfter time.Duration
	// FrozenDiff is the largest mean absolute thumbnail difference, in grey
	// levels, still counted as identical (default 0.5).
	FrozenDiff float64
	// CoveredAfter is how long pictures must stay dark or uniform to report a
	// covered lens (default 30s).
	CoveredAfter time.Duration
	// DarkLevel is the mean grey level below which a picture is dark
	// (default 20 of 255).
	DarkLevel float64
	// FlatStdDev is the grey standard deviation below which a picture is
	// uniform (default 6).
	FlatStdDev float64
}

func (c *Config) setDefaults() {
	if c.FrozenAfter == 0 {
		c.FrozenAfter = 2 * time.Minute
	}
	if c.FrozenDiff == 0 {
		c.FrozenDiff = 0.5
	}
	if c.CoveredAfter == 0 {
		c.CoveredAfter = 30 * time.Second
	}
	if c.DarkLevel == 0 {
		c.DarkLevel = 20
	}
	if c.FlatStdDev == 0 {
		c.FlatStdDev = 6
	}
}

// Problem names a picture problem.
type Problem string

// Problems reported by the monitor; OK is the recovery.
const (
	OK      Problem = "ok"
	Frozen  Problem = "frozen"
	Covered Problem = "covered"
)

// Change is a problem appearing or going away.
type Change struct {
	Problem Problem
	// Active is true when the problem starts, false when it ends.
	Active bool
	Reason string
	At     time.Time
}

// Monitor follows one camera's pictures. It is not safe for concurrent use.
type Monitor struct {
	cfg          Config
	prev         []float64
	sameSince    time.Time
	darkSince    time.Time
	frozen, dark bool
}

// New returns a monitor.
func New(cfg Config) *Monitor {
	cfg.setDefaults()
	return &Monitor{cfg: cfg}
}

const thumbW, thumbH = 64, 36

// ErrBadPicture is returned for a picture whose buffer does not match its size.
var ErrBadPicture = errors.New("picture: buffer does not match width and height")

// Update looks at one picture taken at `at` and returns the changes it causes.
func (m *Monitor) Update(img *media.Image, at time.Time) ([]Change, error) {
	if img.Width <= 0 || img.Height <= 0 || len(img.BGR) != img.Width*img.Height*3 {
		return nil, ErrBadPicture
	}
	th := thumbnail(img)
	mean, sd := stats(th)
	var out []Change

	dark := mean < m.cfg.DarkLevel || sd < m.cfg.FlatStdDev
	if !dark {
		m.darkSince = time.Time{}
		if m.dark {
			m.dark = false
			out = append(out, Change{Problem: Covered, Active: false, Reason: "picture has light and detail again", At: at})
		}
	} else {
		if m.darkSince.IsZero() {
			m.darkSince = at
		}
		if !m.dark && at.Sub(m.darkSince) >= m.cfg.CoveredAfter {
			m.dark = true
			out = append(out, Change{Problem: Covered, Active: true, At: at,
				Reason: "lens covered or picture black: mean grey " + ftoa(mean) + ", std dev " + ftoa(sd) + " for " + at.Sub(m.darkSince).Round(time.Second).String()})
		}
	}

	same := m.prev != nil && meanAbsDiff(th, m.prev) <= m.cfg.FrozenDiff
	m.prev = th
	switch {
	case dark:
		// A dark or flat picture does not change either: it is reported
		// as covered, and does not count towards frozen.
		m.sameSince = at
	case !same:
		m.sameSince = at
		if m.frozen {
			m.frozen = false
			out = append(out, Change{Problem: Frozen, Active: false, Reason: "picture moves again", At: at})
		}
	case !m.frozen && !m.sameSince.IsZero() && at.Sub(m.sameSince) >= m.cfg.FrozenAfter:
		m.frozen = true
		out = append(out, Change{Problem: Frozen, Active: true, At: at,
			Reason: "picture unchanged for " + at.Sub(m.sameSince).Round(time.Second).String()})
	}
	return out, nil
}

// thumbnail samples a grey thumbnail (box-averaged over each cell's centre
// rows) from a BGR picture.
func thumbnail(img *media.Image) []float64 {
	out := make([]float64, thumbW*thumbH)
	for ty := 0; ty < thumbH; ty++ {
		y0, y1 := ty*img.Height/thumbH, (ty+1)*img.Height/thumbH
		for tx := 0; tx < thumbW; tx++ {
			x0, x1 := tx*img.Width/thumbW, (tx+1)*img.Width/thumbW
			var sum, n float64
			// Sample a 4x4 grid inside the cell: enough to see texture.
			for sy := 0; sy < 4; sy++ {
				y := y0 + (y1-y0)*sy/4
				for sx := 0; sx < 4; sx++ {
					x := x0 + (x1-x0)*sx/4
					o := (y*img.Width + x) * 3
					b, g, r := float64(img.BGR[o]), float64(img.BGR[o+1]), float64(img.BGR[o+2])
					sum += 0.114*b + 0.587*g + 0.299*r
					n++
				}
			}
			out[ty*thumbW+tx] = sum / n
		}
	}
	return out
}

func stats(v []float64) (mean, sd float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(v)))
}

func meanAbsDiff(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += math.Abs(a[i] - b[i])
	}
	return s / float64(len(a))
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
