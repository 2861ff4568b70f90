package e2e

import (
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/worker"
)

// TestCorrectionWindowLive: one car parks for 30 s before a live RTSP
// camera watched by two rules with a correction window (限时自行整改). The
// rule with a 10 s window warns, and opens its case 10 s later while the
// car is still there; the rule with a 60 s window warns, and withdraws the
// warning once the car has left (gone for close_after), with no case. Every
// message passes the schema (camCases), on the real Kafka.
func TestCorrectionWindowLive(t *testing.T) {
	parallel(t, loadWarning)
	broker, s3cfg := services(t)
	cam := newSimCamera(t, nil, "lifecycle", media.H264, "e2e-warning")
	cam.Stream.Loops = 1
	cfg := camConfig(t, broker, s3cfg, cam.ID, cam.URL(), func(c *config.Config) {
		c.Cameras[0].Zones = noParking(0.5, 0.93)
		c.Cameras[0].Zones[0].Rules = []string{"warn-short", "warn-long"}
		rule := func(id string, window time.Duration) config.Rule {
			return config.Rule{ID: id, Code: "0505", Classes: []string{"car", "truck"}, MinDwell: 6 * time.Second, CorrectionWindow: window}
		}
		c.Rules = []config.Rule{rule("warn-short", 10*time.Second), rule("warn-long", time.Minute)}
		c.Evidence.PreRoll, c.Evidence.PostRoll = 3*time.Second, 2*time.Second
		c.Monitoring.MetricsAddress = "off"
		c.Cases = config.Lifecycle{UpdateInterval: time.Minute, CloseAfter: 5 * time.Second}
	})
	from := topicEnd(t, broker, cfg.Kafka.CasesTopic)
	cam.play(t)
	w := startWorker(t, t.Context(), cfg, worker.Deps{})
	byRule := func() map[string][]wireCase {
		out := map[string][]wireCase{}
		for _, c := range camCases(t, broker, cfg.Kafka.CasesTopic, from, cam.ID, time.Second) {
			out[c.Rule.ID] = append(out[c.Rule.ID], c)
		}
		return out
	}
	waitFor(t, 90*time.Second, "the long window's warning withdrawn and the short one's case closed", func() bool {
		m := byRule()
		return hasEvent(m["warn-long"], cases.EventWithdrawn, 2) && hasEvent(m["warn-short"], cases.EventClosed, 0)
	})
	if err := w.Stop(); err != nil {
		t.Fatal(err)
	}
	m := byRule()
	for rule, want := range map[string][]string{
		"warn-short": {cases.EventWarning, cases.EventOpened, cases.EventClosed},
		"warn-long":  {cases.EventWarning, cases.EventWithdrawn},
	} {
		got := m[rule]
		var events []string
		for _, c := range got {
			events = append(events, c.Event)
		}
		t.Logf("%s: %v", rule, events)
		if len(got) != len(want) {
			t.Fatalf("%s: events %v, want %v", rule, events, want)
		}
		for i, c := range got {
			if c.Event != want[i] || c.Seq != i+1 || c.CaseID != got[0].CaseID || c.Warning == nil {
				t.Errorf("%s event %d: %s seq %d case %s warning %+v", rule, i, c.Event, c.Seq, c.CaseID, c.Warning)
			}
		}
		warnAt := got[0].Warning.At
		switch rule {
		case "warn-short":
			open := got[1]
			if d := open.ConfirmedAt.Sub(warnAt); d < 10*time.Second || d > 14*time.Second {
				t.Errorf("opened %v after the warning, want the 10 s window (+ a sampling interval)", d)
			}
			if !hasEvidence(open.Case, "clip") || !hasEvidenceRole(got[0].Case, "warning") {
				t.Errorf("evidence: opened %+v, warning %+v", open.Evidence, got[0].Evidence)
			}
		case "warn-long":
			if d := got[1].EventTime.Sub(warnAt); d >= time.Minute {
				t.Errorf("withdrawn %v after the warning: not before the window's end", d)
			}
		}
	}
}

func hasEvidence(c cases.Case, kind string) bool {
	for _, e := range c.Evidence {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

func hasEvidenceRole(c cases.Case, role string) bool {
	for _, e := range c.Evidence {
		if e.Role == role {
			return true
		}
	}
	return false
}
