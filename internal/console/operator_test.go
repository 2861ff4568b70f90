package console

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/kafka/registry"
	"github.com/patrol-city/patrol/internal/publisher/health"
)

// TestZoneSave: an operator's zones, validated against the configured
// rules, are written back as the camera's whole registry record (its
// address and credentials kept); invalid zones are refused with the
// field named, a save over a record changed meanwhile with 409; the
// browser never sees the camera's password.
func TestZoneSave(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, kafkaAddr(t))
	r := startConsole(t, cfg, Deps{})
	cam := config.Camera{ID: "cam-1", Name: "东门", URL: "rtsp://viewer:s3cret-pw@192.0.2.7:554/main", Address: "人民路 1 号",
		Zones: []config.Zone{{ID: "kerb", Polygon: [][]float64{{0.1, 0.5}, {0.9, 0.5}, {0.9, 0.9}}, Rules: []string{"illegal-parking"}}}}
	config.ApplyCameraDefaults(&cam)
	raw, err := registry.Encode(cam)
	if err != nil {
		t.Fatal(err)
	}
	publish(t, cfg, cfg.Cluster.RegistryTopic, []byte(cam.ID), raw)
	oper := r.client().login("oper")
	var view zonesView
	waitFor(t, 20*time.Second, "the camera in the registry", func() bool {
		return oper.api(http.MethodGet, "/api/cameras/cam-1/zones", nil, &view) == http.StatusOK
	})
	if len(view.Zones) != 1 || view.Zones[0].ID != "kerb" || len(view.Rules) != 2 || view.Rules[0].ID != "illegal-parking" {
		t.Fatalf("zones view %+v", view)
	}

	for name, zones := range map[string][]config.Zone{
		"two points":   {{ID: "a", Polygon: [][]float64{{0.1, 0.1}, {0.2, 0.2}}, Rules: []string{"illegal-parking"}}},
		"outside":      {{ID: "a", Polygon: [][]float64{{0.1, 0.1}, {1.2, 0.2}, {0.3, 0.9}}, Rules: []string{"illegal-parking"}}},
		"unknown rule": {{ID: "a", Polygon: [][]float64{{0.1, 0.1}, {0.9, 0.2}, {0.3, 0.9}}, Rules: []string{"speeding"}}},
		"bad id":       {{ID: "../a", Polygon: [][]float64{{0.1, 0.1}, {0.9, 0.2}, {0.3, 0.9}}, Rules: []string{"illegal-parking"}}},
	} {
		var out map[string]string
		if got := oper.api(http.MethodPost, "/api/cameras/cam-1/zones", zonesRequest{Version: view.Version, Zones: zones}, &out); got != http.StatusUnprocessableEntity ||
			!strings.Contains(out["error"], "zones[0]") {
			t.Errorf("%s: %d %q, want 422 naming the zone", name, got, out["error"])
		}
	}

	zones := []config.Zone{
		{ID: "kerb", Polygon: [][]float64{{0.1, 0.55}, {0.9, 0.5}, {0.9, 0.9}, {0.1, 0.9}}, Rules: []string{"illegal-parking"}},
		{ID: "square", Polygon: [][]float64{{0.3, 0.1}, {0.6, 0.1}, {0.6, 0.4}}, Rules: []string{"illegal-parking", "vending"}},
	}
	var saved struct {
		Version int64 `json:"version"`
	}
	if got := oper.api(http.MethodPost, "/api/cameras/cam-1/zones", zonesRequest{Version: view.Version, Zones: zones}, &saved); got != http.StatusOK {
		t.Fatalf("save: %d", got)
	}
	recs := readTopic(t, cfg, cfg.Cluster.RegistryTopic, 2)
	got, err := registry.Decode("cam-1", recs[1].Value)
	if err != nil {
		t.Fatal(err)
	}
	if got.URL != cam.URL || got.Name != cam.Name || got.Address != cam.Address || len(got.Zones) != 2 ||
		got.Zones[0].Polygon[0][1] != 0.55 || got.Zones[1].ID != "square" || len(got.Zones[1].Rules) != 2 {
		t.Errorf("record written %+v", got)
	}
	if err := cfg.ValidateCameras([]config.Camera{got}); err != nil {
		t.Errorf("record written does not validate: %v", err)
	}
	if saved.Version != recs[1].Offset {
		t.Errorf("save answered version %d, the record is at %d", saved.Version, recs[1].Offset)
	}
	if got := oper.api(http.MethodPost, "/api/cameras/cam-1/zones", zonesRequest{Version: view.Version, Zones: zones}, nil); got != http.StatusConflict {
		t.Errorf("save over a changed record: %d, want 409", got)
	}
	if got := oper.api(http.MethodPost, "/api/cameras/nope/zones", zonesRequest{Zones: zones}, nil); got != http.StatusNotFound {
		t.Errorf("camera not in the registry: %d, want 404", got)
	}
	for _, p := range []string{"/cameras", "/cameras/cam-1", "/cameras/cam-1/zones", "/api/cameras/cam-1/zones"} {
		body, resp := oper.get(p)
		if resp.StatusCode != http.StatusOK || strings.Contains(body, "s3cret-pw") {
			t.Errorf("GET %s: %s (shows the password: %v)", p, resp.Status, strings.Contains(body, "s3cret-pw"))
		}
	}
}

// TestCameraPicture: the camera page's picture comes from the worker of
// the camera's newest health event, at console.worker_url with
// "{worker}" replaced; 404 when the worker does not run the camera or
// none reported it; the cameras page shows the newest states and owner.
// A worker name that is an address (127.0.0.1, 2130706433) is not
// fetched from (before: the console asked 127.0.0.1 for it), and a
// worker's redirect is not followed (before: it was).
func TestCameraPicture(t *testing.T) {
	t.Parallel()
	jpeg := []byte("\xff\xd8\xff\xe0 a picture \xff\xd9")
	asked := make(chan string, 10)
	worker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked <- r.URL.Path
		if r.URL.Path == "/cameras/cam-5/picture.jpg" {
			http.Redirect(w, r, "/cameras/cam-1/picture.jpg", http.StatusFound)
			return
		}
		if r.URL.Path != "/cameras/cam-1/picture.jpg" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write(jpeg)
	}))
	defer worker.Close()
	_, port, _ := net.SplitHostPort(worker.Listener.Addr().String())
	cfg := testConfig(t, kafkaAddr(t))
	cfg.Console.WorkerURL = "http://{worker}:" + port
	r := startConsole(t, cfg, Deps{})
	at := time.Now().UTC()
	ev := func(worker, cam, kind, state, prev string, d time.Duration) []byte {
		return mustJSON(health.NewEvent(worker, cam, "东门", kind, state, prev, "", at.Add(d)))
	}
	// cam-1 moved from worker w-old to the worker "localhost" (a name
	// that is also its address here); cam-2's owner does not run it;
	// cam-3 and cam-4 are claimed by names that are addresses; cam-5's
	// worker redirects.
	publish(t, cfg, cfg.Kafka.HealthTopic,
		[]byte("cam-1"), ev("w-old", "cam-1", health.KindState, health.StateStreaming, health.StateConnecting, 0),
		[]byte("cam-1"), ev("localhost", "cam-1", health.KindState, health.StateConnecting, "", time.Second),
		[]byte("cam-1"), ev("localhost", "cam-1", health.KindState, health.StateStreaming, health.StateConnecting, 2*time.Second),
		[]byte("cam-1"), ev("localhost", "cam-1", health.KindPicture, health.PictureCovered, health.PictureOK, 3*time.Second),
		[]byte("cam-1"), ev("localhost", "cam-1", health.KindPicture, health.PictureCovered, health.PictureOK, 3*time.Second), // duplicate
		[]byte("cam-2"), ev("localhost", "cam-2", health.KindState, health.StateOffline, health.StateConnecting, 0),
		[]byte("cam-3"), ev("127.0.0.1", "cam-3", health.KindState, health.StateStreaming, "", 0),
		[]byte("cam-4"), ev("2130706433", "cam-4", health.KindState, health.StateStreaming, "", 0),
		[]byte("cam-5"), ev("localhost", "cam-5", health.KindState, health.StateStreaming, "", 0))
	oper := r.client().login("oper")
	waitFor(t, 20*time.Second, "the cameras", func() bool { return len(r.srv.Cameras()) == 5 })

	body, resp := oper.get("/cameras/cam-1/picture.jpg")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" || body != string(jpeg) {
		t.Fatalf("picture: %s %q", resp.Status, body)
	}
	if p := <-asked; p != "/cameras/cam-1/picture.jpg" {
		t.Errorf("worker asked for %s", p)
	}
	if _, resp := oper.get("/cameras/cam-2/picture.jpg"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("picture of a camera its worker does not run: %s, want 404", resp.Status)
	}
	<-asked
	if _, resp := oper.get("/cameras/cam-9/picture.jpg"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("picture of an unknown camera: %s, want 404", resp.Status)
	}
	for _, cam := range []string{"cam-3", "cam-4"} {
		if _, resp := oper.get("/cameras/" + cam + "/picture.jpg"); resp.StatusCode != http.StatusBadGateway {
			t.Errorf("%s, claimed by an address: %s, want 502", cam, resp.Status)
		}
	}
	select {
	case p := <-asked:
		t.Errorf("a worker named by an address was asked for %s", p)
	default:
	}
	if _, resp := oper.get("/cameras/cam-5/picture.jpg"); resp.StatusCode != http.StatusBadGateway {
		t.Errorf("a worker's redirect: %s, want 502", resp.Status)
	}
	if p := <-asked; p != "/cameras/cam-5/picture.jpg" {
		t.Errorf("worker asked for %s", p)
	}
	select {
	case p := <-asked:
		t.Errorf("the redirect was followed to %s", p)
	case <-time.After(100 * time.Millisecond):
	}
	rows := r.srv.Cameras()
	if rows[0].ID != "cam-1" || rows[0].State != health.StateStreaming || rows[0].Picture != health.PictureCovered ||
		rows[0].Worker != "localhost" || rows[1].State != health.StateOffline || rows[0].InRegistry {
		t.Errorf("camera rows %+v", rows)
	}
	page, _ := oper.get("/cameras/cam-1")
	if n := strings.Count(page, "<td class=\"when\">"); n != 4 {
		t.Errorf("camera page lists %d health events, want 4 (the duplicate once)", n)
	}
}

// TestWithoutFleet: with workers that have their cameras in their files
// (cluster.enabled false) the console follows no registry, is in sync all
// the same, and offers no zone editor.
func TestWithoutFleet(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, kafkaAddr(t))
	cfg.Cluster.Enabled = false
	cfg.Cameras = []config.Camera{{ID: "cam-1", URL: "rtsp://192.0.2.7/main"}}
	config.ApplyCameraDefaults(&cfg.Cameras[0])
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	r := startConsole(t, cfg, Deps{})
	publish(t, cfg, cfg.Kafka.HealthTopic, []byte("cam-1"),
		mustJSON(health.NewEvent("w1", "cam-1", "", health.KindState, health.StateStreaming, "", "", time.Now())))
	oper := r.client().login("oper")
	waitFor(t, 20*time.Second, "the camera from its health event", func() bool { return len(r.srv.Cameras()) == 1 })
	if _, resp := oper.get("/cameras/cam-1/zones"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("zone editor outside a fleet: %s, want 404", resp.Status)
	}
	if got := oper.api(http.MethodPost, "/api/cameras/cam-1/zones", zonesRequest{}, nil); got != http.StatusNotFound {
		t.Errorf("zone save outside a fleet: %d, want 404", got)
	}
	if body, resp := oper.get("/cameras"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "不在登记表中") {
		t.Errorf("cameras page: %s", resp.Status)
	}
}
