package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"time"
)

// Flow is a lane of traffic: vehicles drawn from Sprites enter one after
// another and cross the scene at constant speed, queueing at Stops (a red
// light). Each vehicle becomes an actor named "<ID>-<n>".
type Flow struct {
	// ID prefixes the generated actor ids (required).
	ID string `yaml:"id"`
	// Label is the class the vehicles show (default "car").
	Label string `yaml:"label"`
	// Sprites are the crops drawn, one picked at random per vehicle.
	Sprites []Sprite `yaml:"sprites"`
	// Width is the drawn width, a fraction of the frame width; each vehicle
	// varies it by up to 10 %.
	Width float64 `yaml:"width"`
	// Y is the lane: the vehicles' bottom edge, normalized.
	Y float64 `yaml:"y"`
	// FromX and ToX are where vehicles enter and leave (normalized; FromX
	// > ToX drives right to left).
	FromX float64 `yaml:"from_x"`
	ToX   float64 `yaml:"to_x"`
	// Cross is how long a vehicle takes from FromX to ToX when it does not
	// stop.
	Cross time.Duration `yaml:"cross"`
	// Headway is the mean time between two vehicles entering; each gap
	// varies from 0.6 to 1.4 times it, never below what keeps vehicles
	// apart.
	Headway time.Duration `yaml:"headway"`
	// From and To bound when vehicles enter.
	From time.Duration `yaml:"from"`
	To   time.Duration `yaml:"to"`
	// Stops are red lights on the lane.
	Stops []Stop `yaml:"stops"`
	// Seed makes the flow reproducible (default 1).
	Seed int64 `yaml:"seed"`
}

// Stop holds vehicles at X from From to To: a vehicle reaching the stop
// line, or the back of the queue, while the light is red waits there until
// it turns green, then drives off 0.8 s after the vehicle in front.
type Stop struct {
	X    float64       `yaml:"x"`
	From time.Duration `yaml:"from"`
	To   time.Duration `yaml:"to"`
}

// startUp is the delay between two queued vehicles driving off.
const startUp = 800 * time.Millisecond

// expandTraffic appends the actors of the scene's flows.
func (sc *Scene) expandTraffic() error {
	for i, f := range sc.Traffic {
		actors, err := f.actors()
		if err != nil {
			return fmt.Errorf("traffic[%d]: %w", i, err)
		}
		sc.Actors = append(sc.Actors, actors...)
	}
	return nil
}

// actors generates the flow's vehicles.
func (f Flow) actors() ([]Actor, error) {
	switch {
	case f.ID == "" || len(f.Sprites) == 0:
		return nil, errors.New("need id and sprites")
	case f.Width <= 0 || f.Width > 1 || f.Cross <= 0 || f.Headway <= 0 || f.To <= f.From || f.FromX == f.ToX:
		return nil, errors.New("need width in (0, 1], cross, headway, from < to and from_x != to_x")
	}
	if f.Label == "" {
		f.Label = "car"
	}
	if f.Seed == 0 {
		f.Seed = 1
	}
	dir := math.Copysign(1, f.ToX-f.FromX)
	speed := math.Abs(f.ToX-f.FromX) / f.Cross.Seconds() // frame widths per second
	minGap := time.Duration(1.3 * f.Width / speed * float64(time.Second))
	r := rand.New(rand.NewSource(f.Seed))
	// queue per stop: where its back is and when its last vehicle leaves
	type queue struct {
		n       int
		release time.Duration
	}
	queues := make([]queue, len(f.Stops))
	var out []Actor
	prev := time.Duration(-1 << 62) // when the vehicle in front entered
	for n, enter := 0, f.From; enter < f.To; n++ {
		enter = max(enter, prev+minGap)
		width := f.Width * (0.9 + 0.2*r.Float64())
		a := Actor{ID: fmt.Sprintf("%s-%d", f.ID, n), Label: f.Label, Sprite: f.Sprites[r.Intn(len(f.Sprites))], Width: width}
		a.Path = append(a.Path, Keyframe{T: enter, X: f.FromX, Y: f.Y})
		t, x := enter, f.FromX
		for k, st := range f.Stops {
			q := &queues[k]
			if q.release < t { // the queue has cleared
				q.n = 0
			}
			spot := st.X - dir*float64(q.n)*f.Width*1.15
			if (spot-x)*dir < 0 {
				if q.n > 0 && q.release > t {
					// The queue reaches back past the entry: the vehicle
					// waits off-screen and enters once the queue moves.
					a.Path[0].T = max(q.release+startUp, prev+minGap)
					t = a.Path[0].T
				}
				continue
			}
			arrive := t + time.Duration((spot-x)*dir/speed*float64(time.Second))
			red := arrive >= st.From && arrive < st.To
			queued := q.n > 0 && arrive < q.release
			if !red && !queued {
				continue
			}
			leave := max(st.To, q.release) + startUp
			if q.n == 0 {
				leave = max(st.To, arrive)
			}
			a.Path = append(a.Path, Keyframe{T: arrive, X: spot, Y: f.Y}, Keyframe{T: leave, X: spot, Y: f.Y})
			q.n++
			q.release = leave
			t, x = leave, spot
		}
		end := t + time.Duration((f.ToX-x)*dir/speed*float64(time.Second))
		a.Path = append(a.Path, Keyframe{T: end, X: f.ToX, Y: f.Y})
		out = append(out, a)
		prev = a.Path[0].T
		gap := time.Duration(float64(f.Headway) * (0.6 + 0.8*r.Float64()))
		enter = max(enter, prev) + max(gap, minGap)
	}
	return out, nil
}
