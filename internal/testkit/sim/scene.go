package sim

import (
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"
)

// Scene is a scripted scene: actors (real object crops) moving along
// keyframed paths over a real background.
type Scene struct {
	// Name identifies the scene (default: file name without extension).
	Name string `yaml:"name"`
	// Size is [width, height] in pixels (default [640, 360]); both even.
	Size [2]int `yaml:"size"`
	// FPS is the frame rate (default 10).
	FPS int `yaml:"fps"`
	// GOP is the key-frame interval in frames (default FPS: one per second).
	GOP int `yaml:"gop"`
	// Bitrate is the encoder's target in bits/s (default: the encoder's,
	// 1 Mbit/s; a 1080p IP camera sends about 4 Mbit/s).
	Bitrate int `yaml:"bitrate"`
	// Duration is the length of one loop (required).
	Duration time.Duration `yaml:"duration"`
	// Background is the still picture behind the actors.
	Background Background `yaml:"background"`
	// Actors are drawn in order (later ones in front).
	Actors []Actor `yaml:"actors"`
	// Noise adds uniform sensor noise of this amplitude (grey levels) to
	// every frame (default 0), as real cameras have.
	Noise int `yaml:"noise"`
	// Freeze repeats the picture of each interval's start until its end, as
	// a hung camera encoder does.
	Freeze []Interval `yaml:"freeze"`
	// Cover blacks the picture out during each interval, as a covered lens.
	Cover []Interval `yaml:"cover"`
	// Lighting scales the picture's brightness by Gain during each interval
	// (a cloud, dusk, street lights switching on).
	Lighting []Lighting `yaml:"lighting"`
	// Eval describes how `patrol eval` judges the scene (optional).
	Eval *Eval `yaml:"eval"`
	// Video makes the scene a real clip (a path relative to the asset
	// directory) played as it is: Size, FPS, GOP, Duration, Background,
	// Actors and the picture effects are then unused.
	Video string `yaml:"video"`
	// Loops is how many times an evaluation plays the scene (default 1).
	Loops int `yaml:"loops"`
	// Traffic generates actors: flows of vehicles through the scene.
	Traffic []Flow `yaml:"traffic"`
}

// Lighting is a brightness change over an interval.
type Lighting struct {
	From time.Duration `yaml:"from"`
	To   time.Duration `yaml:"to"`
	// Gain multiplies every pixel value (e.g. 0.6 darker, 1.3 brighter).
	Gain float64 `yaml:"gain"`
}

// Eval is a scene's evaluation set-up: the watched zone, the rules applied
// and the cases a correct system reports.
type Eval struct {
	// Zone is the watched polygon, normalized [x, y] points.
	Zone [][]float64 `yaml:"zone"`
	// Rules are rule ids of the evaluation rule set.
	Rules []string `yaml:"rules"`
	// Expect lists the cases that must be reported; anything else is a false
	// alarm.
	Expect []Expect `yaml:"expect"`
	// MinDwell of the scene's rules (default: the run's).
	MinDwell time.Duration `yaml:"min_dwell"`
	// Note says what the clip, loop or composite does to the truth (for
	// example a slow object that a loop makes look resident).
	Note string `yaml:"note"`
}

// Expect is one expected case: the rule, and the actor (or, for a group,
// the actors) it is about; in a real clip (Scene.Video), the moment a
// correct system confirms it and the object's box.
type Expect struct {
	Rule   string   `yaml:"rule"`
	Actors []string `yaml:"actors"`
	// At is when the case is due, from the start of the first loop (real
	// clips).
	At time.Duration `yaml:"at"`
	// Box is the object's [x, y, w, h], normalized (real clips).
	Box [4]float64 `yaml:"box"`
	// Why documents how At was found.
	Why string `yaml:"why"`
	// LoopArtefact marks an object that only the loop makes look resident
	// (a slow creeper jumping back within max_movement every loop): a case
	// for it, at any time, is neither required nor a false alarm; the
	// report counts it apart.
	LoopArtefact bool `yaml:"loop_artefact"`
	// Count, when set, is the explanation's count a count rule's case
	// must carry when it opens (composited scenes).
	Count int `yaml:"count"`
	// VisibleFrom is when a composited actor that came to rest hidden
	// (behind a standing vehicle) comes into view, from the start of the
	// loop: its case is due min_dwell after the later of its rest's start
	// and this (default 0: from the rest's start).
	VisibleFrom time.Duration `yaml:"visible_from"`
}

// Interval is a time span from the start of the loop.
type Interval struct {
	From time.Duration `yaml:"from"`
	To   time.Duration `yaml:"to"`
}

func (iv Interval) contains(t time.Duration) bool { return t >= iv.From && t < iv.To }

// Background is an image, or a frame of a video, from the asset directory.
type Background struct {
	// Image is a path relative to the asset directory (.jpg, .png, .mp4).
	Image string `yaml:"image"`
	// Frame is the frame index when Image is a video (default 0).
	Frame int `yaml:"frame"`
}

// Actor is one object crop moving along a path.
type Actor struct {
	// ID names the actor in the ground truth (required, unique).
	ID string `yaml:"id"`
	// Label is the object class the actor shows, e.g. "car" (required).
	Label string `yaml:"label"`
	// Sprite is the crop the actor is drawn with.
	Sprite Sprite `yaml:"sprite"`
	// Width is the drawn width as a fraction of the frame width (required);
	// the height keeps the crop's aspect ratio.
	Width float64 `yaml:"width"`
	// Path is the keyframed path of the actor's bottom centre; it is hidden
	// before the first and after the last keyframe.
	Path []Keyframe `yaml:"path"`
}

// Sprite is a box cut from an image of the asset directory.
type Sprite struct {
	// Image is a path relative to the asset directory.
	Image string `yaml:"image"`
	// Box is [x, y, w, h] in pixels of that image.
	Box [4]int `yaml:"box"`
	// Flip mirrors the crop left to right (a vehicle driving the other way).
	Flip bool `yaml:"flip"`
	// Frame is the frame index when Image is a video (default 0): an
	// object crop from a real clip, such as the bag left on the sidewalk.
	Frame int `yaml:"frame"`
}

// Keyframe places an actor's bottom centre at (X, Y), normalized to the
// frame, at time T from the start of the loop.
type Keyframe struct {
	T time.Duration `yaml:"t"`
	X float64       `yaml:"x"`
	Y float64       `yaml:"y"`
}

// LoadScene reads and validates a scene script.
func LoadScene(path string) (*Scene, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scene: %w", err)
	}
	sc, err := ParseScene(raw)
	if err != nil {
		return nil, fmt.Errorf("scene %s: %w", path, err)
	}
	if sc.Name == "" {
		base := filepath.Base(path)
		sc.Name = base[:len(base)-len(filepath.Ext(base))]
	}
	return sc, nil
}

// ParseScene parses and validates a scene script.
func ParseScene(raw []byte) (*Scene, error) {
	var sc Scene
	if err := yaml.Unmarshal(raw, &sc); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if sc.Size == [2]int{} {
		sc.Size = [2]int{640, 360}
	}
	if sc.FPS == 0 {
		sc.FPS = 10
	}
	if sc.GOP == 0 {
		sc.GOP = sc.FPS
	}
	if sc.Loops == 0 {
		sc.Loops = 1
	}
	if sc.Video != "" {
		return &sc, sc.validateVideo()
	}
	if err := sc.expandTraffic(); err != nil {
		return nil, err
	}
	return &sc, sc.validate()
}

func (sc *Scene) validate() error {
	var errs []error
	bad := func(f string, a ...any) { errs = append(errs, fmt.Errorf(f, a...)) }
	if sc.Size[0] < 16 || sc.Size[1] < 16 || sc.Size[0]%2 != 0 || sc.Size[1]%2 != 0 {
		bad("size: need even width and height of at least 16")
	}
	if sc.FPS < 1 || sc.FPS > 60 {
		bad("fps: need 1..60")
	}
	if sc.GOP < 1 {
		bad("gop: need at least 1")
	}
	if sc.Duration < time.Second {
		bad("duration: need at least 1s")
	}
	if sc.Noise < 0 || sc.Noise > 64 {
		bad("noise: need 0..64")
	}
	for i, iv := range append(append([]Interval(nil), sc.Freeze...), sc.Cover...) {
		if iv.To <= iv.From {
			bad("freeze/cover[%d]: need from < to", i)
		}
	}
	for i, l := range sc.Lighting {
		if l.To <= l.From || l.Gain <= 0 || l.Gain > 4 {
			bad("lighting[%d]: need from < to and 0 < gain <= 4", i)
		}
	}
	if sc.Eval != nil {
		ids := map[string]bool{}
		for _, a := range sc.Actors {
			ids[a.ID] = true
		}
		for i, e := range sc.Eval.Expect {
			if e.Rule == "" || len(e.Actors) == 0 {
				bad("eval.expect[%d]: need rule and actors", i)
			}
			for _, a := range e.Actors {
				if !ids[a] {
					bad("eval.expect[%d]: unknown actor %q", i, a)
				}
			}
		}
		if len(sc.Eval.Zone) < 3 {
			bad("eval.zone: need at least 3 points")
		}
	}
	if sc.Background.Image == "" {
		bad("background.image: required")
	}
	ids := map[string]bool{}
	for i, a := range sc.Actors {
		p := fmt.Sprintf("actors[%d]", i)
		if a.ID == "" || ids[a.ID] {
			bad("%s.id: required and unique", p)
		}
		ids[a.ID] = true
		if a.Label == "" {
			bad("%s.label: required", p)
		}
		if a.Sprite.Image == "" || a.Sprite.Box[2] < 2 || a.Sprite.Box[3] < 2 || a.Sprite.Frame < 0 {
			bad("%s.sprite: need image and box [x, y, w, h]", p)
		}
		if a.Width <= 0 || a.Width > 1 {
			bad("%s.width: need a fraction of the frame width in (0, 1]", p)
		}
		if len(a.Path) < 2 {
			bad("%s.path: need at least 2 keyframes", p)
		}
		for j := 1; j < len(a.Path); j++ {
			if a.Path[j].T < a.Path[j-1].T {
				bad("%s.path[%d].t: keyframes must be in time order", p, j)
			}
		}
	}
	return errors.Join(errs...)
}

// validateVideo checks a real-clip scene.
func (sc *Scene) validateVideo() error {
	var errs []error
	bad := func(f string, a ...any) { errs = append(errs, fmt.Errorf(f, a...)) }
	if len(sc.Actors) > 0 || len(sc.Traffic) > 0 || sc.Background.Image != "" {
		bad("video: a real clip has no background, actors or traffic")
	}
	if sc.Loops < 1 || sc.Loops > 1000 {
		bad("loops: need 1..1000")
	}
	if sc.Eval != nil {
		if len(sc.Eval.Zone) < 3 {
			bad("eval.zone: need at least 3 points")
		}
		for i, e := range sc.Eval.Expect {
			if e.Rule == "" || (e.At <= 0 && !e.LoopArtefact) || e.Box[2] <= 0 || e.Box[3] <= 0 {
				bad("eval.expect[%d]: a real clip needs rule, at and box", i)
			}
		}
	}
	return errors.Join(errs...)
}

// Frames is the number of frames in one loop.
func (sc *Scene) Frames() int {
	return int(sc.Duration * time.Duration(sc.FPS) / time.Second)
}

// position returns the actor's bottom centre at t, and whether it is shown.
func (a *Actor) position(t time.Duration) (x, y float64, ok bool) {
	p := a.Path
	if t < p[0].T || t > p[len(p)-1].T {
		return 0, 0, false
	}
	for i := 1; i < len(p); i++ {
		if t <= p[i].T {
			span := p[i].T - p[i-1].T
			if span <= 0 {
				return p[i].X, p[i].Y, true
			}
			f := float64(t-p[i-1].T) / float64(span)
			return p[i-1].X + f*(p[i].X-p[i-1].X), p[i-1].Y + f*(p[i].Y-p[i-1].Y), true
		}
	}
	last := p[len(p)-1]
	return last.X, last.Y, true
}

// BoxAt returns the actor's drawn box in pixels at t (possibly partly
// outside the frame), and whether it is shown.
func (a *Actor) BoxAt(t time.Duration, w, h int) (image.Rectangle, bool) {
	x, y, ok := a.position(t)
	if !ok {
		return image.Rectangle{}, false
	}
	bw := int(a.Width * float64(w))
	bh := int(float64(bw) * float64(a.Sprite.Box[3]) / float64(a.Sprite.Box[2]))
	cx, by := int(x*float64(w)), int(y*float64(h))
	return image.Rect(cx-bw/2, by-bh, cx-bw/2+bw, by), true
}
