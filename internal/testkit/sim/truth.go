package sim

import (
	"encoding/json"
	"image"
	"os"
	"time"
)

// Truth is a scene's ground truth: where each actor is, and when it rests.
type Truth struct {
	Scene    string        `json:"scene"`
	Duration time.Duration `json:"duration_ns"`
	Size     [2]int        `json:"size"`
	Actors   []ActorTruth  `json:"actors"`
}

// ActorTruth is one actor's ground truth. Times are offsets from the start
// of the loop.
type ActorTruth struct {
	ID     string        `json:"id"`
	Label  string        `json:"label"`
	Appear time.Duration `json:"appear_ns"`
	Leave  time.Duration `json:"leave_ns"`
	Rests  []Rest        `json:"rests"`
}

// Rest is an interval during which the actor does not move.
type Rest struct {
	From time.Duration `json:"from_ns"`
	To   time.Duration `json:"to_ns"`
	// Anchor is the bottom centre, normalized.
	Anchor [2]float64 `json:"anchor"`
	// Box is the drawn box in pixels [x, y, w, h].
	Box [4]int `json:"box"`
}

// Truth computes the scene's ground truth from its script.
func (sc *Scene) Truth() Truth {
	tr := Truth{Scene: sc.Name, Duration: sc.Duration, Size: sc.Size}
	w, h := sc.Size[0], sc.Size[1]
	for i := range sc.Actors {
		a := &sc.Actors[i]
		at := ActorTruth{ID: a.ID, Label: a.Label, Appear: -1, Leave: -1}
		frame := image.Rect(0, 0, w, h)
		step := time.Second / time.Duration(sc.FPS)
		for t := time.Duration(0); t < sc.Duration; t += step {
			b, ok := a.BoxAt(t, w, h)
			if ok && b.Overlaps(frame) {
				if at.Appear < 0 {
					at.Appear = t
				}
				at.Leave = t
			}
		}
		for j := 1; j < len(a.Path); j++ {
			p, q := a.Path[j-1], a.Path[j]
			if p.X == q.X && p.Y == q.Y && q.T > p.T {
				b, _ := a.BoxAt(p.T, w, h)
				if n := len(at.Rests); n > 0 && at.Rests[n-1].To == p.T && at.Rests[n-1].Anchor == [2]float64{p.X, p.Y} {
					at.Rests[n-1].To = q.T
					continue
				}
				at.Rests = append(at.Rests, Rest{From: p.T, To: q.T, Anchor: [2]float64{p.X, p.Y},
					Box: [4]int{b.Min.X, b.Min.Y, b.Dx(), b.Dy()}})
			}
		}
		tr.Actors = append(tr.Actors, at)
	}
	return tr
}

// WriteFile writes the truth as indented JSON.
func (t Truth) WriteFile(path string) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
