package eval

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/testkit/sim"
)

// SceneResult is one scene's outcome.
type SceneResult struct {
	Scene    string `json:"scene"`
	Expected int    `json:"expected"`
	Reported int    `json:"reported"`
	TP       int    `json:"tp"`
	FP       int    `json:"fp"`
	FN       int    `json:"fn"`
	// AlarmErrorsS are |confirmed_at - truth crossing min_dwell| per match.
	AlarmErrorsS []float64 `json:"alarm_errors_s"`
	// PlayedS is how long the scene played (all loops), FalseAlarmsPerHour
	// FP per camera-hour at that.
	PlayedS float64 `json:"played_s"`
	// LoopArtefacts counts cases for objects only the loop makes resident
	// (Expect.LoopArtefact): neither TP nor FP.
	LoopArtefacts      int      `json:"loop_artefacts"`
	FalseAlarmsPerHour float64  `json:"false_alarms_per_hour"`
	Notes              []string `json:"notes,omitempty"`
	// IntervalS is the scene camera's sampling interval, Pictures the
	// pictures it analysed (inferences and gated).
	IntervalS float64 `json:"interval_s"`
	Pictures  uint64  `json:"pictures"`
}

// Report is the outcome of a run.
type Report struct {
	Suite              string         `json:"suite"`
	Scenes             []SceneResult  `json:"-"`
	Precision          float64        `json:"precision"`
	Recall             float64        `json:"recall"`
	AlarmErrorMedianS  float64        `json:"alarm_error_median_s"`
	SceneCount         int            `json:"scenes"`
	TP, FP, FN         int            `json:"-"`
	ExpectedCases      int            `json:"expected_cases"`
	ReportedCases      int            `json:"reported_cases"`
	AlarmErrorMaxS     float64        `json:"alarm_error_max_s"`
	DurationS          float64        `json:"duration_s,omitempty"`
	FalseAlarmsByScene map[string]int `json:"false_alarms_by_scene,omitempty"`
	// CameraHours is the footage played over all scenes, FalseAlarmsPerHour
	// all false alarms per camera-hour of it.
	CameraHours        float64 `json:"camera_hours"`
	FalseAlarmsPerHour float64 `json:"false_alarms_per_camera_hour"`
	// Duplicates counts objects reported by more than one case (any
	// second case whose box overlaps an earlier case's of the same rule
	// and scene by IoU 0.3 while both could be open).
	Duplicates int `json:"duplicates"`
	// LoopArtefacts counts the cases for objects only a loop makes look
	// resident.
	LoopArtefacts int `json:"loop_artefacts"`
	// Inferences run and frames Gated (kept from the detector by the motion
	// gate) over the whole run.
	Inferences uint64 `json:"inferences"`
	Gated      uint64 `json:"gated_frames"`
	// Mode is how the scenes were played: "replay" (on their own clock,
	// as fast as the CPU allows) or "live" (over RTSP in real time).
	Mode string `json:"mode"`
	// PlayedS is the footage played over all scenes (all loops), WallS
	// the wall time the run took.
	PlayedS float64 `json:"played_s"`
	WallS   float64 `json:"wall_s"`
}

func score(plans []plan, starts map[string]time.Time, all []received) *Report {
	rep := &Report{SceneCount: len(plans), FalseAlarmsByScene: map[string]int{}}
	var errs []float64
	for _, pl := range plans {
		sc := pl.sc
		res := SceneResult{Scene: sc.Name, PlayedS: round1(pl.length.Seconds())}
		got, closed := sortedCases(all, sc.Name)
		res.Reported = len(got)
		used := make([]bool, len(got))
		start := starts[sc.Name]
		var tr sim.Truth
		if sc.Video == "" {
			tr = sc.Truth()
		}
		for _, exp := range sc.Eval.Expect {
			if exp.LoopArtefact {
				continue
			}
			res.Expected++
			var (
				i  int
				e  float64
				ok bool
			)
			if sc.Video != "" {
				i, e, ok = matchClip(exp, got, used, start)

			} else {
				i, e, ok = matchActor(tr, exp, got, used, start, pl.minDwell)
			}
			if ok {
				used[i] = true
				res.TP++
				res.AlarmErrorsS = append(res.AlarmErrorsS, round1(e))
				errs = append(errs, e)
			} else {
				res.FN++
				res.Notes = append(res.Notes, fmt.Sprintf("missed %s for %v%v", exp.Rule, exp.Actors, exp.Box))
			}
		}
		for _, exp := range sc.Eval.Expect {
			if !exp.LoopArtefact {
				continue
			}
			for i, g := range got {
				if !used[i] && baseRule(g.c.Rule.ID) == exp.Rule && iouNorm(g.c.Objects[0].Box, exp.Box) >= 0.3 {
					used[i] = true
					res.LoopArtefacts++
					res.Notes = append(res.Notes, fmt.Sprintf("loop artefact %s %s at +%.0fs box %v (%s)", g.c.Rule.ID, g.c.Objects[0].Label,
						g.c.ConfirmedAt.Sub(start).Seconds(), g.c.Objects[0].Box, exp.Why))
					break
				}
			}
		}
		rep.LoopArtefacts += res.LoopArtefacts
		for i, g := range got {
			if !used[i] {
				res.FP++
				res.Notes = append(res.Notes, fmt.Sprintf("false alarm %s %s at +%.0fs box %v%s", g.c.Rule.ID, g.c.Objects[0].Label,
					g.c.ConfirmedAt.Sub(start).Seconds(), g.c.Objects[0].Box, countNote(g.c)))
			}
		}
		rep.Duplicates += duplicates(got, closed)
		if h := pl.length.Hours(); h > 0 {
			res.FalseAlarmsPerHour = round1(float64(res.FP) / h)
			rep.CameraHours += h
		}
		if res.FP > 0 {
			rep.FalseAlarmsByScene[sc.Name] = res.FP
		}
		rep.TP += res.TP
		rep.FP += res.FP
		rep.FN += res.FN
		rep.ExpectedCases += res.Expected
		rep.ReportedCases += res.Reported
		rep.Scenes = append(rep.Scenes, res)
	}
	rep.Precision, rep.Recall = 1, 1
	if rep.TP+rep.FP > 0 {
		rep.Precision = round3(float64(rep.TP) / float64(rep.TP+rep.FP))
	}
	if rep.TP+rep.FN > 0 {
		rep.Recall = round3(float64(rep.TP) / float64(rep.TP+rep.FN))
	}
	if rep.CameraHours > 0 {
		rep.FalseAlarmsPerHour = round1(float64(rep.FP) / rep.CameraHours)
		rep.CameraHours = round3(rep.CameraHours)
	}
	if len(errs) > 0 {
		sort.Float64s(errs)
		rep.AlarmErrorMedianS = round1(errs[len(errs)/2])
		if len(errs)%2 == 0 {
			rep.AlarmErrorMedianS = round1((errs[len(errs)/2-1] + errs[len(errs)/2]) / 2)
		}
		rep.AlarmErrorMaxS = round1(errs[len(errs)-1])
	}
	return rep
}

// matchActor finds, in the scene's truth tr, the case of a composited
// scene's expected actor: of the rule, confirmed while the actor rested at
// least minDwell, over its box, with the expected count if one is set. It returns the case index and the alarm
// error in seconds.
func matchActor(tr sim.Truth, exp sim.Expect, got []received, used []bool, start time.Time, minDwell time.Duration) (int, float64, bool) {
	for _, a := range tr.Actors {
		if a.ID != exp.Actors[0] {
			continue
		}
		for _, rest := range a.Rests {
			if rest.To-rest.From < minDwell {
				continue
			}
			due := start.Add(max(rest.From, exp.VisibleFrom) + minDwell)
			for i, g := range got {
				if used[i] || baseRule(g.c.Rule.ID) != exp.Rule {
					continue
				}
				off := g.c.ConfirmedAt.Sub(start)
				if off < rest.From || off > rest.To+2*time.Second {
					continue
				}
				if iou(g.c.Objects[0].Box, rest.Box, tr.Size) < 0.3 && len(exp.Actors) == 1 && exp.Rule != "street-vending" {
					continue
				}
				if exp.Count > 0 && (g.c.Explanation == nil || g.c.Explanation.Count != exp.Count) {
					continue
				}
				return i, math.Abs(g.c.ConfirmedAt.Sub(due).Seconds()), true
			}
		}
	}
	return -1, 0, false
}

// countNote is ", count N" for a count rule's case, else "".
func countNote(c cases.Case) string {
	if c.Explanation == nil || c.Explanation.Count == 0 {
		return ""
	}
	return fmt.Sprintf(", count %d", c.Explanation.Count)
}

// clipWindow is how far from the documented moment a real clip's case may
// be confirmed and still count as found.
const clipWindow = 10 * time.Second

// matchClip finds the case of a real clip's expectation: of the rule,
// confirmed within clipWindow of At, over the documented box.
func matchClip(exp sim.Expect, got []received, used []bool, start time.Time) (int, float64, bool) {
	due := start.Add(exp.At)
	for i, g := range got {
		if used[i] || baseRule(g.c.Rule.ID) != exp.Rule {
			continue
		}
		e := math.Abs(g.c.ConfirmedAt.Sub(due).Seconds())
		if e > clipWindow.Seconds() || iouNorm(g.c.Objects[0].Box, exp.Box) < 0.3 {
			continue
		}
		return i, e, true
	}
	return -1, 0, false
}

// duplicates counts the cases of one camera opened for an object that an
// earlier case of the same rule, not yet closed, already reported (boxes
// overlapping by IoU 0.3). closed maps case ids to their closing time.
func duplicates(got []received, closed map[string]time.Time) int {
	n := 0
	for i, g := range got {
		for _, h := range got[:i] {
			end, ok := closed[h.c.CaseID]
			open := !ok || end.After(g.c.ConfirmedAt)
			if open && baseRule(h.c.Rule.ID) == baseRule(g.c.Rule.ID) && iouNorm(h.c.Objects[0].Box, g.c.Objects[0].Box) >= 0.3 {
				n++
				break
			}
		}
	}
	return n
}

// iouNorm is the IoU of two normalized [x y w h] boxes.
func iouNorm(a, b [4]float64) float64 {
	x1, y1 := math.Max(a[0], b[0]), math.Max(a[1], b[1])
	x2, y2 := math.Min(a[0]+a[2], b[0]+b[2]), math.Min(a[1]+a[3], b[1]+b[3])
	if x2 <= x1 || y2 <= y1 {
		return 0
	}
	in := (x2 - x1) * (y2 - y1)
	return in / (a[2]*a[3] + b[2]*b[3] - in)
}

// iou of a normalized [x y w h] box and a pixel [x y w h] box.
func iou(a [4]float64, b [4]int, size [2]int) float64 {
	w, h := float64(size[0]), float64(size[1])
	return iouNorm(a, [4]float64{float64(b[0]) / w, float64(b[1]) / h, float64(b[2]) / w, float64(b[3]) / h})
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// Print writes the per-scene table and the final JSON line.
func (r *Report) Print(w io.Writer) error {
	fmt.Fprintf(w, "%-26s %8s %8s %3s %3s %3s %8s %9s  %s\n", "scene", "expected", "reported", "TP", "FP", "FN", "played_s", "FP/cam-h", "alarm error (s)")
	for _, s := range r.Scenes {
		fmt.Fprintf(w, "%-26s %8d %8d %3d %3d %3d %8.0f %9.1f  %v\n", s.Scene, s.Expected, s.Reported, s.TP, s.FP, s.FN, s.PlayedS, s.FalseAlarmsPerHour, s.AlarmErrorsS)
		for _, n := range s.Notes {
			fmt.Fprintf(w, "    %s\n", n)
		}
	}
	if r.WallS > 0 {
		fmt.Fprintf(w, "%s: %.0f s of footage played in %.1f s of wall time (%.0fx)\n", r.Mode, r.PlayedS, r.WallS, r.PlayedS/r.WallS)
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
