package pipeline

import (
	"fmt"
	"time"

	"github.com/patrol-city/patrol/config"
	"github.com/patrol-city/patrol/detect"
)

// zoneRule is a rule instance watching one zone.
type zoneRule interface {
	Update(tracks []*detect.Track, frameW, frameH int, now time.Time) []detect.Event
}

// buildRule creates the detect rule of a configured rule for a zone.
func buildRule(rc config.Rule, z detect.Zone, loc *time.Location) (zoneRule, error) {
	windows, err := detect.ParseWindows(rc.Schedule)
	if err != nil {
		return nil, fmt.Errorf("schedule: %w", err)
	}
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
	default:
		return detect.NewStationary(detect.StationaryConfig{
			ID: rc.ID, Code: rc.Code, Name: rc.Name, Classes: rc.Classes, ZoneID: z.ID,
			MinDwell: rc.MinDwell, MaxMovement: rc.MaxMovement, MinScore: float32(rc.MinScore),
			MinBoxSize: rc.MinBoxSize, Masks: masks, Windows: windows, Location: loc, Cooldown: rc.Cooldown,
		}, z)
	}
}
