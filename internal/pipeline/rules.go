package pipeline

import (
	"slices"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/detect"
	"github.com/patrol-city/patrol/internal/detect/static"
)

// zoneRule is a rule instance watching one zone.
type zoneRule interface {
	Update(tracks []*detect.Track, frameW, frameH int, now time.Time) []detect.Event
}

// buildRule creates the detect rule of a configured rule for a zone.
func buildRule(rc config.Rule, z detect.Zone, loc *time.Location) (zoneRule, error) {
	windows := []detect.Window(rc.Schedule)
	var masks [][]detect.Point
	for _, m := range rc.Masks {
		var poly []detect.Point
		for _, pt := range m {
			poly = append(poly, detect.Point{X: pt[0], Y: pt[1]})
		}
		masks = append(masks, poly)
	}
	switch rc.Kind {
	case "gathering":
		return detect.NewGathering(detect.GatheringConfig{
			ID: rc.ID, Code: rc.Code, Name: rc.Name, ZoneID: z.ID,
			PersonClasses: rc.Classes, StallClasses: rc.StallClasses, MinPeople: rc.MinPeople,
			MinDwell: rc.MinDwell, MinDwellNoStall: rc.MinDwellNoStall,
			MinScore: float32(rc.MinScore), MinBoxSize: rc.MinBoxSize, Masks: masks,
			Windows: windows, Location: loc, Cooldown: rc.Cooldown,
		}, z)
	case config.KindCount:
		return detect.NewCount(detect.CountConfig{
			ID: rc.ID, Code: rc.Code, Name: rc.Name, ZoneID: z.ID, Classes: rc.Classes, MinCount: rc.MinCount,
			MinDwell: rc.MinDwell, MinScore: float32(rc.MinScore), MinBoxSize: rc.MinBoxSize, Masks: masks,
			Windows: windows, Location: loc, Cooldown: rc.Cooldown,
		}, z)
	case config.KindStaticObject:
		// The camera's static-object finder (staticFinder) turns what
		// appears and stays into tracks labelled static.Label; the rule
		// times them like parked cars. They carry no detector score.
		return detect.NewStationary(detect.StationaryConfig{
			ID: rc.ID, Code: rc.Code, Name: rc.Name, Classes: []string{static.Label}, ZoneID: z.ID,
			MinDwell: rc.MinDwell, MaxMovement: rc.MaxMovement, ConfirmScore: -1, ConfirmScoreAtStart: -1, LookMatch: rc.LookMatch, MinPresence: rc.MinPresence,
			MinBoxSize: rc.MinBoxSize, Masks: masks, Windows: windows, Location: loc, Cooldown: rc.Cooldown,
		}, z)
	default:
		return detect.NewStationary(detect.StationaryConfig{
			ID: rc.ID, Code: rc.Code, Name: rc.Name, Classes: rc.Classes, ZoneID: z.ID,
			MinDwell: rc.MinDwell, MaxMovement: rc.MaxMovement, MinScore: float32(rc.MinScore),
			ConfirmScore: float32(rc.ConfirmScore), ConfirmScoreAtStart: float32(rc.ConfirmScoreAtStart),
			LookMatch: rc.LookMatch, MinPresence: rc.MinPresence,
			MinBoxSize: rc.MinBoxSize, Masks: masks, Windows: windows, Location: loc, Cooldown: rc.Cooldown,
		}, z)
	}
}

// ruleLabels are the track labels a configured rule fires on: its classes,
// static.Label for a static_object rule (whose classes are what static
// objects are not).
func ruleLabels(rc config.Rule) map[string]bool {
	classes := rc.Classes
	if rc.Kind == config.KindStaticObject {
		classes = []string{static.Label}
	}
	labels := map[string]bool{}
	for _, c := range classes {
		labels[c] = true
	}
	return labels
}

// staticFinder returns the camera's static-object finder, or nil when no
// rule needs one: it watches the zones of its static_object rules and of
// gathering rules that list static.Label among their stall classes.
func staticFinder(zones []zoneRules) (*static.Finder, error) {
	cfg := static.Config{}
	var exclude []string
	for _, zr := range zones {
		watch := false
		for _, rr := range zr.rules {
			switch {
			case rr.cfg.Kind == config.KindStaticObject:
				watch = true
				exclude = append(exclude, rr.cfg.Classes...)
				if rr.cfg.MinArea > 0 && (cfg.MinArea == 0 || rr.cfg.MinArea < cfg.MinArea) {
					cfg.MinArea = rr.cfg.MinArea
				}
			case rr.cfg.Kind == config.KindGathering && slices.Contains(rr.cfg.StallClasses, static.Label):
				watch = true
			}
		}
		if watch {
			cfg.Zones = append(cfg.Zones, zr.zone)
		}
	}
	if len(cfg.Zones) == 0 {
		return nil, nil
	}
	if len(exclude) > 0 {
		slices.Sort(exclude)
		cfg.Exclude = slices.Compact(exclude)
	}
	return static.New(cfg)
}
