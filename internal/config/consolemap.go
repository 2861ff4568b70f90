package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// ConsoleMap configures the console's map page (/map, docs/console.md).
// Everything is optional: without tiles the map draws its cameras and
// cases over a plain grid labelled with their 单元网格 codes.
type ConsoleMap struct {
	// Tiles are URL templates of the tile layers, drawn bottom to top
	// (for example 天地图's vec_w, then its labels cva_w). Each has {z},
	// {x} and {y} (Web Mercator XYZ: a WMTS TILEMATRIX, TILECOL and
	// TILEROW of a Google-compatible EPSG:3857 matrix set) and is an
	// http(s) URL or a path on the console's own origin. The pages'
	// Content-Security-Policy allows images from exactly these origins.
	// Default none; at most 4.
	Tiles []string `yaml:"tiles"`
	// Attribution is the notice the tiles' provider requires (审图号,
	// copyright), shown on the map as plain text; required with tiles,
	// at most 300 bytes.
	Attribution string `yaml:"attribution"`
	// Center is the initial view's [latitude, longitude] (WGS 84); default
	// none: the view fits the placed cameras and cases.
	Center []float64 `yaml:"center"`
	// Zoom is the initial zoom level with Center (default 15 when Center
	// is set; 0 without it: fit).
	Zoom int `yaml:"zoom"`
	// MaxZoom is the highest zoom level the map offers and fits to
	// (default 18, at most 22).
	MaxZoom int `yaml:"max_zoom"`
}

// maxMercatorLat is the latitude Web Mercator stops at.
const maxMercatorLat = 85.05112878

func (m *ConsoleMap) applyDefaults() {
	if m.MaxZoom == 0 {
		m.MaxZoom = 18
	}
	if len(m.Center) == 2 && m.Zoom == 0 {
		m.Zoom = min(15, m.MaxZoom)
	}
}

func (m *ConsoleMap) validate(fe *fieldErrors) {
	if len(m.Tiles) > 4 {
		fe.add("console.map.tiles", "at most 4 layers")
	}
	for i, t := range m.Tiles {
		if _, err := tileOrigin(t); err != "" {
			fe.add(fmt.Sprintf("console.map.tiles[%d]", i), "%s", err)
		}
	}
	if len(m.Tiles) > 0 && strings.TrimSpace(m.Attribution) == "" {
		fe.add("console.map.attribution", "required with tiles (the notice the tiles' provider requires)")
	}
	if len(m.Attribution) > 300 {
		fe.add("console.map.attribution", "longer than 300 bytes")
	}
	if m.MaxZoom < 1 || m.MaxZoom > 22 {
		fe.add("console.map.max_zoom", "must be between 1 and 22")
	}
	if m.Zoom < 0 || m.Zoom > m.MaxZoom {
		fe.add("console.map.zoom", "must be between 1 and max_zoom")
	}
	switch {
	case len(m.Center) == 0:
		if m.Zoom != 0 {
			fe.add("console.map.zoom", "needs a center")
		}
	case len(m.Center) != 2:
		fe.add("console.map.center", "must be [latitude, longitude]")
	case !(m.Center[0] >= -maxMercatorLat && m.Center[0] <= maxMercatorLat):
		fe.add("console.map.center", "latitude must be between -85.05 and 85.05")
	case !(m.Center[1] >= -180 && m.Center[1] <= 180):
		fe.add("console.map.center", "longitude must be between -180 and 180")
	}
}

// TileOrigins are the distinct origins (scheme://host[:port]) of the tile
// templates; templates on the console's own origin have none. The
// templates must have been validated.
func (m ConsoleMap) TileOrigins() []string {
	var out []string
	for _, t := range m.Tiles {
		if o, err := tileOrigin(t); err == "" && o != "" && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

// tileOrigin checks a tile template and returns its origin ("" for a
// path on the console's origin), or why it is refused.
func tileOrigin(t string) (origin, problem string) {
	for _, p := range []string{"{z}", "{x}", "{y}"} {
		if !strings.Contains(t, p) {
			return "", "missing " + p
		}
	}
	if strings.ContainsAny(t, " \t\r\n\"'<>\\;") {
		return "", "spaces, quotes, <, >, \\ and ; are not allowed"
	}
	u, err := url.Parse(strings.NewReplacer("{z}", "zph0", "{x}", "zph0", "{y}", "zph0").Replace(t))
	if err != nil {
		return "", "not a URL"
	}
	switch {
	case u.Scheme == "" && u.Host == "" && strings.HasPrefix(u.Path, "/"):
		return "", "" // the console's own origin
	case u.Scheme != "http" && u.Scheme != "https":
		return "", "must be an http(s) URL or a path starting with /"
	case u.Host == "" || u.User != nil || strings.Contains(u.Host, "zph0") || strings.ContainsAny(u.Host, "{}*"):
		return "", "must name a host (no user-info, no placeholder in the host)"
	}
	return u.Scheme + "://" + u.Host, ""
}
