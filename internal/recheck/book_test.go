package recheck

import (
	"fmt"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func ownsAll(string) bool            { return true }
func owns(ids ...string) func(string) bool {
	return func(c string) bool {
		for _, id := range ids {
			if id == c {
				return true
			}
		}
		return false
	}
}

func request(id, camera string, at time.Time) cases.Recheck {
	return cases.Recheck{SchemaVersion: 1, Type: cases.RecheckRequest, RequestID: id, CaseID: "case-" + id, CameraID: camera, RequestedAt: &at}
}

// live is a request read live (not from the topic's history).
func live(id, camera string, at time.Time) (cases.Recheck, bool) {
	return request(id, camera, at), false
}

func answer(r cases.Recheck, status string, at time.Time) cases.Recheck {
	a := r
	a.Type, a.Worker, a.Status, a.AnsweredAt = cases.RecheckAnswer, "w", status, &at
	return a
}

func ids(ts []Task) []string {
	var out []string
	for _, t := range ts {
		s := t.Request.RequestID
		if t.Repeat != nil {
			s += "=" + t.Repeat.Status
		}
		out = append(out, s)
	}
	return out
}

func TestBook(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		run  func(b *Book, c *clock) []string // what the last Take returned
		want string
	}{
		{"the owner takes a request once", func(b *Book, c *clock) []string {
			b.Request(live("r1", "cam-a", c.t))
			b.Request(live("r1", "cam-a", c.t)) // a duplicate while waiting
			first := ids(b.Take(ownsAll))
			return append(first, ids(b.Take(ownsAll))...)
		}, "[r1]"},
		{"another camera's request waits", func(b *Book, c *clock) []string {
			b.Request(live("r1", "cam-a", c.t))
			b.Request(live("r2", "cam-b", c.t))
			return ids(b.Take(owns("cam-b")))
		}, "[r2]"},
		{"a new owner answers what waited (hand-over)", func(b *Book, c *clock) []string {
			b.Request(live("r1", "cam-a", c.t))
			_ = b.Take(owns())
			c.add(40 * time.Second)
			return ids(b.Take(owns("cam-a")))
		}, "[r1]"},
		{"an answer seen on the topic clears the request", func(b *Book, c *clock) []string {
			r := request("r1", "cam-a", c.t)
			b.Request(r, false)
			b.Answer(answer(r, cases.RecheckPresent, c.t))
			return ids(b.Take(ownsAll))
		}, "[]"},
		{"a repeated id gets the same answer", func(b *Book, c *clock) []string {
			r := request("r1", "cam-a", c.t)
			b.Request(r, false)
			_ = b.Take(ownsAll)
			b.Answer(answer(r, cases.RecheckGone, c.t))
			c.add(time.Hour)
			b.Request(live("r1", "cam-a", c.t))
			return ids(b.Take(ownsAll))
		}, "[r1=gone]"},
		{"the first answer stands", func(b *Book, c *clock) []string {
			r := request("r1", "cam-a", c.t)
			b.Answer(answer(r, cases.RecheckPresent, c.t))
			b.Answer(answer(r, cases.RecheckUnknown, c.t.Add(time.Second)))
			b.Request(r, false)
			return ids(b.Take(ownsAll))
		}, "[r1=present]"},
		{"a request waits PendingFor, then expires", func(b *Book, c *clock) []string {
			b.Request(live("r1", "cam-a", c.t))
			c.add(5*time.Minute + time.Second)
			return ids(b.Take(ownsAll))
		}, "[]"},
		{"a stale request read from history is not answered", func(b *Book, c *clock) []string {
			b.Request(request("r1", "cam-a", c.t.Add(-time.Hour)), true)
			return ids(b.Take(ownsAll))
		}, "[]"},
		{"a live request is answered whatever its clock says", func(b *Book, c *clock) []string {
			b.Request(live("r1", "cam-a", c.t.Add(-time.Hour)))
			return ids(b.Take(ownsAll))
		}, "[r1]"},
		{"a released request is taken again", func(b *Book, c *clock) []string {
			b.Request(live("r1", "cam-a", c.t))
			_ = b.Take(ownsAll)
			b.Release("r1")
			return ids(b.Take(ownsAll))
		}, "[r1]"},
		{"a taken request does not expire while answered", func(b *Book, c *clock) []string {
			r := request("r1", "cam-a", c.t)
			b.Request(r, false)
			_ = b.Take(ownsAll)
			c.add(10 * time.Minute)
			_ = b.Take(ownsAll)
			return []string{fmt.Sprint(b.Stats().Pending)}
		}, "[1]"},
		{"beyond MaxPending the oldest goes", func(b *Book, c *clock) []string {
			for i := range 4 {
				b.Request(live(fmt.Sprintf("r%d", i), "cam-a", c.t))
				c.add(time.Second)
			}
			return ids(b.Take(ownsAll))
		}, "[r1 r2 r3]"},
		{"answers are forgotten after AnswersFor", func(b *Book, c *clock) []string {
			r := request("r1", "cam-a", c.t)
			b.Answer(answer(r, cases.RecheckGone, c.t))
			c.add(25 * time.Hour)
			r2 := request("r1", "cam-a", c.t)
			b.Request(r2, false)
			return ids(b.Take(ownsAll))
		}, "[r1]"},
		{"answers beyond MaxAnswers are forgotten, oldest first", func(b *Book, c *clock) []string {
			for i := range 3 {
				b.Answer(answer(request(fmt.Sprintf("r%d", i), "cam-a", c.t), cases.RecheckGone, c.t))
			}
			b.Request(live("r0", "cam-a", c.t))
			b.Request(live("r2", "cam-a", c.t.Add(time.Second)))
			return ids(b.Take(ownsAll))
		}, "[r0 r2=gone]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &clock{t: t0}
			b := NewBook(Config{MaxPending: 3, MaxAnswers: 2}, c.now)
			if got := fmt.Sprint(tc.run(b, c)); got != tc.want {
				t.Fatalf("took %s, want %s", got, tc.want)
			}
		})
	}
}

func TestBookStats(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	b := NewBook(Config{}, c.now)
	r := request("r1", "cam-a", c.t)
	b.Request(r, false)
	b.Request(request("old", "cam-a", c.t.Add(-time.Hour)), true)
	b.Answer(answer(r, cases.RecheckPresent, c.t))
	b.Request(r, false)
	s := b.Stats()
	if s.Requests != 3 || s.Repeats != 1 || s.Stale != 1 || s.Answers[cases.RecheckPresent] != 1 || s.Pending != 1 {
		t.Fatalf("stats %+v", s)
	}
}
