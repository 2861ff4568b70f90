package eval

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"time"

	"github.com/patrol-city/patrol/testkit/sim"
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
	Notes        []string  `json:"notes,omitempty"`
}

// Report is the outcome of a run.
type Report struct {
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
	// Inferences run and frames Gated (kept from the detector by the motion
	// gate) over the whole run.
	Inferences uint64 `json:"inferences"`
	Gated      uint64 `json:"gated_frames"`
}

func score(scs []*sim.Scene, starts map[string]time.Time, all []received, minDwell time.Duration) *Report {
	rep := &Report{SceneCount: len(scs), FalseAlarmsByScene: map[string]int{}}
	var errs []float64
	for _, sc := range scs {
		res := SceneResult{Scene: sc.Name, Expected: len(sc.Eval.Expect)}
		got := sortedCases(all, sc.Name)
		res.Reported = len(got)
		tr := sc.Truth()
		used := make([]bool, len(got))
		for _, exp := range sc.Eval.Expect {
			matched := false
			for _, a := range tr.Actors {
				if a.ID != exp.Actors[0] {
					continue
				}
				for _, rest := range a.Rests {
					if rest.To-rest.From < minDwell {
						continue
					}
					due := starts[sc.Name].Add(rest.From + minDwell)
					for i, g := range got {
						if used[i] || g.c.Rule.ID != exp.Rule {
							continue
						}
						off := g.c.ConfirmedAt.Sub(starts[sc.Name])
						if off < rest.From || off > rest.To+2*time.Second {
							continue
						}
						if iou(g.c.Objects[0].Box, rest.Box, tr.Size) < 0.3 && len(exp.Actors) == 1 && exp.Rule == "illegal-parking" {
							continue
						}
						used[i], matched = true, true
						e := math.Abs(g.c.ConfirmedAt.Sub(due).Seconds())
						res.AlarmErrorsS = append(res.AlarmErrorsS, round1(e))
						errs = append(errs, e)
						break
					}
					if matched {
						break
					}
				}
			}
			if matched {
				res.TP++
			} else {
				res.FN++
				res.Notes = append(res.Notes, fmt.Sprintf("missed %s for %v", exp.Rule, exp.Actors))
			}
		}
		for i, g := range got {
			if !used[i] {
				res.FP++
				res.Notes = append(res.Notes, fmt.Sprintf("false alarm %s %s at +%.0fs box %v", g.c.Rule.ID, g.c.Objects[0].Label,
					g.c.ConfirmedAt.Sub(starts[sc.Name]).Seconds(), g.c.Objects[0].Box))
			}
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

// iou of a normalized [x y w h] box and a pixel [x y w h] box.
func iou(a [4]float64, b [4]int, size [2]int) float64 {
	w, h := float64(size[0]), float64(size[1])
	bx := [4]float64{float64(b[0]) / w, float64(b[1]) / h, float64(b[2]) / w, float64(b[3]) / h}
	x1, y1 := math.Max(a[0], bx[0]), math.Max(a[1], bx[1])
	x2, y2 := math.Min(a[0]+a[2], bx[0]+bx[2]), math.Min(a[1]+a[3], bx[1]+bx[3])
	if x2 <= x1 || y2 <= y1 {
		return 0
	}
	in := (x2 - x1) * (y2 - y1)
	return in / (a[2]*a[3] + bx[2]*bx[3] - in)
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// Print writes the per-scene table and the final JSON line.
func (r *Report) Print(w io.Writer) error {
	fmt.Fprintf(w, "%-20s %8s %8s %3s %3s %3s  %s\n", "scene", "expected", "reported", "TP", "FP", "FN", "alarm error (s)")
	for _, s := range r.Scenes {
		fmt.Fprintf(w, "%-20s %8d %8d %3d %3d %3d  %v\n", s.Scene, s.Expected, s.Reported, s.TP, s.FP, s.FN, s.AlarmErrorsS)
		for _, n := range s.Notes {
			fmt.Fprintf(w, "    %s\n", n)
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
