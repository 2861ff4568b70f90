package console

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/kafka/registry"
	"github.com/patrol-city/patrol/internal/publisher/health"
)

// placed sets the camera coordinates and the severity of a test case
// message (no coordinates when lat is nil).
func placed(raw []byte, lat, lon *float64, severity string) []byte {
	var w wireCase
	if err := json.Unmarshal(raw, &w); err != nil {
		panic(err)
	}
	w.Camera.Latitude, w.Camera.Longitude, w.Severity = lat, lon, severity
	return mustJSON(w)
}

func ptr(v float64) *float64 { return &v }

// TestMapLayer: /api/map places the open cases (no verdict, not
// withdrawn) at their camera's coordinates as the case carries them,
// else at the camera's registry place; a camera outside the registry is
// placed from its newest case; cameras and cases without coordinates are
// listed apart and carry none (not 0,0); links go to the case, the camera
// and, for operators and registry cameras only, the zone editor; the
// severity is placed among its rule's steps. /map's CSP allows images
// from exactly the tiles' other origin, and no other page's does.
func TestMapLayer(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, kafkaAddr(t))
	cfg.Console.Map = config.ConsoleMap{Tiles: []string{"http://127.0.0.1:8099/vec/{z}/{x}/{y}.png", "/labels/{z}/{x}/{y}.png"},
		Attribution: "测试底图 test tiles"}
	cfg.Rules[0].Severity = []config.SeverityStep{{After: 6 * time.Second, Level: "一般"}, {After: time.Minute, Level: "严重"}}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	r := startConsole(t, cfg, Deps{})
	lat1, lon1, lat3, lon3 := 32.4523, 118.4371, 32.4601, 118.4402
	for _, cam := range []config.Camera{
		{ID: "cam-1", Name: "东门", URL: "rtsp://192.0.2.7/main", Address: "人民路 1 号", Grid: "G-0101", Latitude: ptr(lat1), Longitude: ptr(lon1)},
		{ID: "cam-2", Name: "西门", URL: "rtsp://192.0.2.8/main", Grid: "G-0102"},
	} {
		config.ApplyCameraDefaults(&cam)
		raw, err := registry.Encode(cam)
		if err != nil {
			t.Fatal(err)
		}
		publish(t, cfg, cfg.Cluster.RegistryTopic, []byte(cam.ID), raw)
	}
	at := time.Now().UTC().Add(-time.Hour)
	publish(t, cfg, cfg.Kafka.HealthTopic, []byte("cam-3"),
		mustJSON(health.NewEvent("w1", "cam-3", "北门", health.KindState, health.StateStreaming, health.StateConnecting, "", at)))
	c := func(id, cam, event string, seq int, d time.Duration) []byte {
		return testCase(id, cam, "z1", event, seq, at.Add(d))
	}
	publish(t, cfg, cfg.Kafka.CasesTopic,
		[]byte("cam-1"), placed(c("c1", "cam-1", cases.EventOpened, 1, 0), ptr(lat1), ptr(lon1), "严重"),
		[]byte("cam-2"), c("c2", "cam-2", cases.EventOpened, 1, time.Minute),
		[]byte("cam-3"), placed(c("c3", "cam-3", cases.EventOpened, 1, 2*time.Minute), ptr(lat3), ptr(lon3), "一般"),
		[]byte("cam-1"), withWarning(c("c4", "cam-1", cases.EventWarning, 1, 3*time.Minute), at),
		[]byte("cam-1"), withWarning(c("c4", "cam-1", cases.EventWithdrawn, 2, 4*time.Minute), at),
		[]byte("cam-1"), c("c5", "cam-1", cases.EventOpened, 1, 5*time.Minute),
		[]byte("cam-1"), c("c6", "cam-1", cases.EventOpened, 1, 6*time.Minute))
	disp, oper := r.client().login("disp"), r.client().login("oper")
	waitFor(t, 20*time.Second, "the cases and cameras", func() bool {
		l := r.srv.MapLayer(true)
		return l.CasesTotal == 5 && len(l.Cameras)+len(l.UnplacedCameras) == 3
	})
	if got := disp.api(http.MethodPost, "/api/cases/c5/verdict", map[string]any{"verdict": "confirmed", "seq": 1}, nil); got != http.StatusOK {
		t.Fatalf("verdict: %d", got)
	}
	waitFor(t, 20*time.Second, "the decided case off the map", func() bool { return r.srv.MapLayer(true).CasesTotal == 4 })

	var l MapLayer
	if got := oper.api(http.MethodGet, "/api/map", nil, &l); got != http.StatusOK {
		t.Fatalf("GET /api/map: %d", got)
	}
	if !slices.Equal(l.Tiles, cfg.Console.Map.Tiles) || l.Attribution != "测试底图 test tiles" || l.MaxZoom != 18 || l.Center != nil {
		t.Errorf("layer view: tiles %v attribution %q max_zoom %d center %v", l.Tiles, l.Attribution, l.MaxZoom, l.Center)
	}
	camIDs := func(list []MapCamera) (ids []string) {
		for _, c := range list {
			ids = append(ids, c.ID)
		}
		return ids
	}
	if got := camIDs(l.Cameras); !slices.Equal(got, []string{"cam-1", "cam-3"}) {
		t.Fatalf("placed cameras %v, want cam-1 (registry) and cam-3 (from its case)", got)
	}
	if got := camIDs(l.UnplacedCameras); !slices.Equal(got, []string{"cam-2"}) || l.UnplacedCameras[0].Lat != nil ||
		l.UnplacedCameras[0].Open != 1 || l.UnplacedCameras[0].Grid != "G-0102" {
		t.Errorf("unplaced cameras %+v, want cam-2 without coordinates, 1 open case", l.UnplacedCameras)
	}
	c1, c3 := l.Cameras[0], l.Cameras[1]
	if *c1.Lat != lat1 || *c1.Lon != lon1 || c1.Open != 2 || c1.Link != "/cameras/cam-1" || c1.Zones != "/cameras/cam-1/zones" ||
		c1.Queue != "/queue?camera=cam-1" || c1.Grid != "G-0101" {
		t.Errorf("cam-1 %+v", c1)
	}
	if *c3.Lat != lat3 || *c3.Lon != lon3 || c3.State != health.StateStreaming || c3.Zones != "" || c3.Open != 1 {
		t.Errorf("cam-3 (not in the registry) %+v", c3)
	}
	type want struct {
		lat, lon     float64
		level, state string
	}
	wantCases := map[string]want{"c1": {lat1, lon1, "top", cases.EventOpened}, "c3": {lat3, lon3, "lower", cases.EventOpened},
		"c6": {lat1, lon1, "none", cases.EventOpened}}
	if len(l.Cases) != len(wantCases) {
		t.Errorf("%d placed cases, want %d (c2 unplaced, c4 withdrawn, c5 decided)", len(l.Cases), len(wantCases))
	}
	for _, c := range l.Cases {
		w, ok := wantCases[c.CaseID]
		if !ok || c.Lat == nil || *c.Lat != w.lat || *c.Lon != w.lon || c.Level != w.level || c.State != w.state ||
			c.Link != "/cases/"+c.CaseID || c.Code != "0505" {
			t.Errorf("case %s on the map: %+v, want %+v", c.CaseID, c, w)
		}
	}
	if len(l.UnplacedCases) != 1 || l.UnplacedCases[0].CaseID != "c2" || l.UnplacedCases[0].Lat != nil {
		t.Errorf("unplaced cases %+v, want c2 without coordinates", l.UnplacedCases)
	}
	body, _ := oper.get("/api/map")
	var raw struct {
		Unplaced []map[string]any `json:"unplaced_cameras"`
	}
	if err := json.Unmarshal([]byte(body), &raw); err != nil || len(raw.Unplaced) != 1 || raw.Unplaced[0]["lat"] != nil || raw.Unplaced[0]["lon"] != nil {
		t.Errorf("an unplaced camera's JSON %v (%v): it must carry no lat/lon", raw.Unplaced, err)
	}

	var ld MapLayer
	if disp.api(http.MethodGet, "/api/map", nil, &ld); len(ld.Cameras) != 2 || ld.Cameras[0].Zones != "" {
		t.Errorf("a dispatcher's layer %+v: no zone editor link", ld.Cameras)
	}
	if got := r.client().login("nobody").api(http.MethodGet, "/api/map", nil, nil); got != http.StatusForbidden {
		t.Errorf("a user without roles: %d, want 403", got)
	}
	page, resp := disp.get("/map")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "测试底图 test tiles") || !strings.Contains(page, `src="/static/map.js"`) {
		t.Errorf("/map: %s", resp.Status)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'self'") ||
		!strings.HasSuffix(csp, "; img-src 'self' http://127.0.0.1:8099") {
		t.Errorf("/map CSP %q, want images from the tiles' origin only", csp)
	}
	if _, resp := disp.get("/queue"); strings.Contains(resp.Header.Get("Content-Security-Policy"), "img-src") {
		t.Errorf("/queue CSP %q allows other images", resp.Header.Get("Content-Security-Policy"))
	}
}
