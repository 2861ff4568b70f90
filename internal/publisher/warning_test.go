package publisher

import (
	"fmt"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
)

// TestWarningEvents: a warned case's "warning" (seq 1, snapshot role
// warning), the "opened" that follows (seq 2, with its clip) and a
// "withdrawn" (snapshot role recheck) are published in order, each valid
// against the case schema and carrying the window.
func TestWarningEvents(t *testing.T) {
	t.Parallel()
	s, w := &fakeStore{}, &fakeWriter{}
	p := newPub(t, t.TempDir(), 0, s, w, nil)
	c := candidate(encodeClips(t), 5)
	win := &cases.Warning{At: c.ConfirmedAt.UTC(), WindowS: 60, Until: c.ConfirmedAt.Add(time.Minute).UTC()}
	id := caseIDOf(c)
	warn := c
	warn.Event, warn.CaseID, warn.Seq, warn.At, warn.LastSeen, warn.Warning, warn.Clips = cases.EventWarning, id, 1, c.ConfirmedAt, c.ConfirmedAt, win, nil
	warn.Boxes = nil
	p.Submit(warn)
	open := c
	open.Event, open.CaseID, open.Seq, open.Warning = cases.EventOpened, id, 2, win
	p.Submit(open)
	other := candidate(encodeClips(t), 6)
	wd := other
	wd.Event, wd.CaseID, wd.Seq, wd.At, wd.LastSeen, wd.Warning, wd.Clips = cases.EventWithdrawn, caseIDOf(other), 2, time.Now(), other.ConfirmedAt, win, nil
	p.Submit(wd)
	for deadline := time.Now().Add(10 * time.Second); len(w.all()) < 3; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of 3 messages published: %+v", len(w.all()), p.Stats())
		}
	}
	p.Close()
	byEvent := map[string]*wireCase{}
	for _, m := range w.all() {
		if err := cases.ValidateCaseJSON(m.Value); err != nil {
			t.Fatal(err)
		}
		got := wireOf(t, m.Value)
		if m.Type != CaseEventTypePrefix+got.Event || m.ID != fmt.Sprintf("%s:%d", got.CaseID, got.Seq) {
			t.Errorf("attributes type %s id %s of %s seq %d", m.Type, m.ID, got.Event, got.Seq)
		}
		for _, ev := range got.Evidence {
			if s.objs[ev.Key] == nil {
				t.Errorf("%s: evidence %s not stored", got.Event, ev.Key)
			}
		}
		byEvent[got.Event] = got
		if got.Warning == nil || got.Warning.WindowS != 60 || !got.Warning.Until.Equal(win.Until) {
			t.Errorf("%s: warning %+v", got.Event, got.Warning)
		}
	}
	roles := func(wc *wireCase) map[string]bool {
		r := map[string]bool{}
		for _, ev := range wc.Evidence {
			r[ev.Kind+"/"+ev.Role] = true
		}
		return r
	}
	if wc := byEvent[cases.EventWarning]; wc == nil || wc.Seq != 1 || !roles(wc)["snapshot/warning"] || roles(wc)["clip/confirmation"] {
		t.Errorf("warning: %+v", wc)
	}
	if wc := byEvent[cases.EventOpened]; wc == nil || wc.Seq != 2 || wc.CaseID != id || !roles(wc)["clip/confirmation"] {
		t.Errorf("opened after the warning: %+v", wc)
	}
	if wc := byEvent[cases.EventWithdrawn]; wc == nil || wc.Seq != 2 || !roles(wc)["snapshot/recheck"] {
		t.Errorf("withdrawn: %+v", wc)
	}
}

// TestCaseWithoutClip: a case whose camera buffer holds no picture around
// the confirmation is published with its snapshots and counted (before:
// it was dropped, "clip has no access units").
func TestCaseWithoutClip(t *testing.T) {
	t.Parallel()
	s, w := &fakeStore{}, &fakeWriter{}
	p := newPub(t, t.TempDir(), 0, s, w, nil)
	p.Submit(candidate(noClips{}, 9))
	waitEmpty(t, p)
	for deadline := time.Now().Add(10 * time.Second); len(w.all()) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not published: %+v", p.Stats())
		}
	}
	p.Close()
	got := wireOf(t, w.all()[0].Value)
	kinds := map[string]bool{}
	for _, ev := range got.Evidence {
		kinds[ev.Kind] = true
	}
	if kinds["clip"] || !kinds["snapshot"] || p.Stats().Clipless != 1 {
		t.Fatalf("evidence %v, clipless %d", kinds, p.Stats().Clipless)
	}
}
