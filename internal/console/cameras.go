package console

import (
	"slices"
	"strings"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/kafka/ktable"
	"github.com/patrol-city/patrol/internal/kafka/registry"
	"github.com/patrol-city/patrol/internal/publisher/health"
)

// CameraRow is a camera as the cameras page lists it: its registry
// record (when it has one) and its newest health state.
type CameraRow struct {
	ID, Name, Place string
	// URL is the camera's address without its password.
	URL        string
	InRegistry bool
	// Invalid says why the registry record cannot be used.
	Invalid string
	Zones   []config.Zone
	// State, Picture and Decoder are the newest health event of each
	// kind ("" when none came); Reason goes with State.
	State, Picture, Decoder, Reason string
	// Worker is the camera's owner: the worker of its newest health event.
	Worker string
	LastAt time.Time
	// Address, Grid, Latitude and Longitude are the registry record's
	// place (the map's positions).
	Address, Grid       string
	Latitude, Longitude *float64
}

// healthOf returns a copy of a camera's health events, oldest first.
func (s *Store) healthOf(camera string) []health.Event {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if h := s.health[camera]; h != nil {
		return slices.Clone(h.events)
	}
	return nil
}

// healthCameras lists the cameras with health events.
func (s *Store) healthCameras() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.health))
	for id := range s.health {
		out = append(out, id)
	}
	return out
}

// withHealth fills the health fields of row from events.
func withHealth(row *CameraRow, events []health.Event) {
	for _, e := range events {
		switch e.Kind {
		case health.KindState:
			row.State, row.Reason = e.State, e.Reason
		case health.KindPicture:
			row.Picture = e.State
		case health.KindDecoder:
			row.Decoder = e.State
		}
		row.Worker, row.LastAt = e.Worker, e.At
		if row.Name == "" {
			row.Name = e.CameraName
		}
	}
}

// place is a camera's address and grid.
func place(c config.Camera) string {
	var p []string
	for _, v := range []string{c.Address, c.Grid} {
		if v != "" {
			p = append(p, v)
		}
	}
	return strings.Join(p, " · ")
}

// cameraRow builds one camera's row; ok is false for a camera neither in
// the registry nor in the health events.
func (s *Server) cameraRow(id string) (CameraRow, bool) {
	row := CameraRow{ID: id}
	if e, ok := s.registryGet(id); ok {
		row.InRegistry = true
		cam, err := registry.Decode(id, e.Value)
		if err == nil {
			err = s.cfg.ValidateCameras([]config.Camera{cam})
		}
		if err != nil {
			row.Invalid = err.Error()
		}
		row.Name, row.Place, row.URL, row.Zones = cam.Name, place(cam), config.Redact(cam.URL), cam.Zones
		row.Address, row.Grid, row.Latitude, row.Longitude = cam.Address, cam.Grid, cam.Latitude, cam.Longitude
	}
	events := s.store.healthOf(id)
	withHealth(&row, events)
	return row, row.InRegistry || len(events) > 0
}

// Cameras lists the cameras of the registry and those that only sent
// health events (workers outside a fleet), by id.
func (s *Server) Cameras() []CameraRow {
	ids := map[string]bool{}
	for _, e := range s.registryAll() {
		ids[e.Key] = true
	}
	for _, id := range s.store.healthCameras() {
		ids[id] = true
	}
	var out []CameraRow
	for id := range ids {
		if row, ok := s.cameraRow(id); ok {
			out = append(out, row)
		}
	}
	slices.SortFunc(out, func(a, b CameraRow) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// registryGet returns a camera's registry record (none outside a fleet).
func (s *Server) registryGet(id string) (ktable.Entry, bool) {
	if s.registry == nil {
		return ktable.Entry{}, false
	}
	return s.registry.Get(id)
}

// registryAll returns the registry's records (none outside a fleet).
func (s *Server) registryAll() []ktable.Entry {
	if s.registry == nil {
		return nil
	}
	return s.registry.All()
}
