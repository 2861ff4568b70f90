package console

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/publisher/health"
)

// maxMapCases bounds the open cases one map layer carries (the newest).
const maxMapCases = 2000

// MapLayer is what the map page draws (GET /api/map): the tiles and view
// of console.map, the cameras and the open cases (no verdict yet, not
// withdrawn) with their positions. Cameras and cases without
// coordinates are listed apart, never placed at 0,0.
type MapLayer struct {
	// Tiles are console.map.tiles, bottom layer first (none: a plain grid).
	Tiles       []string `json:"tiles"`
	Attribution string   `json:"attribution,omitempty"`
	// Center ([lat, lon]) and Zoom are the configured initial view; none:
	// fit the cameras and cases.
	Center  []float64 `json:"center,omitempty"`
	Zoom    int       `json:"zoom,omitempty"`
	MaxZoom int       `json:"max_zoom"`
	// Cameras and Cases have coordinates; the Unplaced lists have none.
	Cameras         []MapCamera `json:"cameras"`
	Cases           []MapCase   `json:"cases"`
	UnplacedCameras []MapCamera `json:"unplaced_cameras"`
	UnplacedCases   []MapCase   `json:"unplaced_cases"`
	// CasesTotal is how many cases are open; the lists carry the newest
	// maxMapCases.
	CasesTotal int `json:"cases_total"`
}

// MapCamera is a camera on the map.
type MapCamera struct {
	ID      string `json:"id"`
	Name    string `json:"name,omitempty"`
	Address string `json:"address,omitempty"`
	Grid    string `json:"grid,omitempty"`
	// Lat and Lon come from the registry record, else from the camera's
	// newest case; absent when neither has them.
	Lat *float64 `json:"lat,omitempty"`
	Lon *float64 `json:"lon,omitempty"`
	// State is the newest connection state ("" before any report);
	// Problem a picture or decoder state other than ok.
	State   string `json:"state"`
	Problem string `json:"problem,omitempty"`
	// Open is the number of its open cases.
	Open int `json:"open"`
	// Link is the camera page, Queue its cases to review, Zones the zone
	// editor (operators, registry cameras only).
	Link  string `json:"link"`
	Queue string `json:"queue"`
	Zones string `json:"zones,omitempty"`
}

// MapCase is an open case on the map.
type MapCase struct {
	CaseID     string `json:"case_id"`
	CameraID   string `json:"camera_id"`
	CameraName string `json:"camera_name,omitempty"`
	Code       string `json:"code"`
	Rule       string `json:"rule"`
	Severity   string `json:"severity,omitempty"`
	// Level places Severity among its rule's steps: "none" (no
	// severity), "lower" or "top" (the rule's highest step).
	Level       string    `json:"level"`
	State       string    `json:"state"`
	ConfirmedAt time.Time `json:"confirmed_at"`
	Address     string    `json:"address,omitempty"`
	Grid        string    `json:"grid,omitempty"`
	// Lat and Lon are the case's camera place, else the camera's current
	// one; absent when neither has them.
	Lat  *float64 `json:"lat,omitempty"`
	Lon  *float64 `json:"lon,omitempty"`
	Link string   `json:"link"`
}

// mapPage serves GET /map; with tiles of another origin its CSP allows
// images from exactly those origins.
func (s *Server) mapPage(w http.ResponseWriter, _ *http.Request, ss *session) {
	m := s.cfg.Console.Map
	if o := m.TileOrigins(); len(o) > 0 {
		w.Header().Set("Content-Security-Policy", csp+"; img-src 'self' "+strings.Join(o, " "))
	}
	s.pageT(w, ss, http.StatusOK, "map", "title.map", struct {
		Attribution string
		Tiles       bool
	}{m.Attribution, len(m.Tiles) > 0})
}

// apiMap serves GET /api/map: the map's layer.
func (s *Server) apiMap(w http.ResponseWriter, _ *http.Request, ss *session) {
	writeJSON(w, http.StatusOK, s.MapLayer(s.allowed(ss.user, operator)))
}

// MapLayer builds the map's layer; operators get the zone editor links.
func (s *Server) MapLayer(operator bool) MapLayer {
	m := s.cfg.Console.Map
	l := MapLayer{Tiles: append([]string{}, m.Tiles...), Attribution: m.Attribution, Center: m.Center, Zoom: m.Zoom,
		MaxZoom: m.MaxZoom, Cameras: []MapCamera{}, Cases: []MapCase{}, UnplacedCameras: []MapCamera{}, UnplacedCases: []MapCase{}}
	open := s.store.all(func(it Item) bool { return it.Verdict == nil && it.State != cases.EventWithdrawn })
	l.CasesTotal = len(open)
	if len(open) > maxMapCases {
		open = open[:maxMapCases]
	}
	openBy := map[string]int{}
	for _, it := range open {
		openBy[it.Camera.ID]++
	}
	places := s.store.cameraPlaces()
	cams := map[string]MapCamera{}
	for _, row := range s.Cameras() {
		c := MapCamera{ID: row.ID, Name: row.Name, Address: row.Address, Grid: row.Grid, Lat: row.Latitude, Lon: row.Longitude,
			State: row.State, Problem: problem(row.Picture, row.Decoder)}
		if operator && row.InRegistry {
			c.Zones = "/cameras/" + url.PathEscape(row.ID) + "/zones"
		}
		cams[row.ID] = c
	}
	for id := range openBy { // cameras known from their cases only
		if _, ok := cams[id]; !ok {
			cams[id] = MapCamera{ID: id}
		}
	}
	for id, c := range cams {
		if p, ok := places[id]; ok {
			c.Name, c.Address, c.Grid = or(c.Name, p.Name), or(c.Address, p.Address), or(c.Grid, p.Grid)
			if c.Lat == nil {
				c.Lat, c.Lon = p.Latitude, p.Longitude
			}
		}
		c.Open, c.Link, c.Queue = openBy[id], "/cameras/"+url.PathEscape(id), "/queue?camera="+url.QueryEscape(id)
		if c.Lat != nil && c.Lon != nil {
			l.Cameras = append(l.Cameras, c)
		} else {
			l.UnplacedCameras = append(l.UnplacedCameras, c)
		}
		cams[id] = c
	}
	for _, it := range open {
		c := MapCase{CaseID: it.CaseID, CameraID: it.Camera.ID, CameraName: it.Camera.Name, Code: it.Rule.Code, Rule: it.Rule.Name,
			Severity: it.Severity, Level: s.severityLevel(it.Rule.ID, it.Severity), State: it.State, ConfirmedAt: it.ConfirmedAt,
			Address: it.Camera.Address, Grid: it.Camera.Grid, Lat: it.Camera.Latitude, Lon: it.Camera.Longitude,
			Link: "/cases/" + url.PathEscape(it.CaseID)}
		if c.Lat == nil || c.Lon == nil {
			c.Lat, c.Lon = cams[it.Camera.ID].Lat, cams[it.Camera.ID].Lon
		}
		if c.Lat != nil && c.Lon != nil {
			l.Cases = append(l.Cases, c)
		} else {
			l.UnplacedCases = append(l.UnplacedCases, c)
		}
	}
	for _, list := range [][]MapCamera{l.Cameras, l.UnplacedCameras} {
		slices.SortFunc(list, func(a, b MapCamera) int { return strings.Compare(a.ID, b.ID) })
	}
	return l
}

// problem is the picture or decoder state when it is not ok.
func problem(picture, decoder string) string {
	switch {
	case picture != "" && picture != health.PictureOK:
		return picture
	case decoder != "" && decoder != health.DecoderOK:
		return decoder
	}
	return ""
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// severityLevel places a severity among its rule's steps: "none",
// "lower" or "top" (a level the rule no longer has counts as lower).
func (s *Server) severityLevel(rule, level string) string {
	if level == "" {
		return "none"
	}
	for _, r := range s.cfg.Rules {
		if r.ID == rule && len(r.Severity) > 0 && r.Severity[len(r.Severity)-1].Level == level {
			return "top"
		}
	}
	return "lower"
}

// cameraPlaces is each camera's place as its newest case carries it.
func (s *Store) cameraPlaces() map[string]cases.Camera {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string]cases.Camera{}
	at := map[string]time.Time{}
	for _, e := range s.cases {
		c := e.c.Camera
		if t, ok := at[c.ID]; !ok || e.c.ConfirmedAt.After(t) {
			out[c.ID], at[c.ID] = c, e.c.ConfirmedAt
		}
	}
	return out
}
