package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// tileServer serves 256×256 PNG tiles at /{z}/{x}/{y}.png from this
// process (another origin than the console's: another port) and records
// what the browser asked for.
type tileServer struct {
	*httptest.Server
	mu    sync.Mutex
	asked map[string]int // "z/x/y" -> requests
}

var tilePath = regexp.MustCompile(`^/(\d+)/(\d+)/(\d+)\.png$`)

// startTiles starts the tile server until the test ends.
func startTiles(t *testing.T) *tileServer {
	t.Helper()
	var pngs [2][]byte // a light checkerboard with a darker edge
	for i := range pngs {
		img := image.NewRGBA(image.Rect(0, 0, 256, 256))
		bg := color.RGBA{0xe4, 0xec, 0xe1, 0xff}
		if i == 1 {
			bg = color.RGBA{0xdb, 0xe6, 0xee, 0xff}
		}
		for y := range 256 {
			for x := range 256 {
				c := bg
				if x == 0 || y == 0 {
					c = color.RGBA{0xb0, 0xb8, 0xc0, 0xff}
				}
				img.Set(x, y, c)
			}
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		pngs[i] = b.Bytes()
	}
	ts := &tileServer{asked: map[string]int{}}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := tilePath.FindStringSubmatch(r.URL.Path)
		if m == nil {
			http.NotFound(w, r)
			return
		}
		ts.mu.Lock()
		ts.asked[m[1]+"/"+m[2]+"/"+m[3]]++
		ts.mu.Unlock()
		x, _ := strconv.Atoi(m[2])
		y, _ := strconv.Atoi(m[3])
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(pngs[(x+y)%2])
	}))
	t.Cleanup(ts.Close)
	return ts
}

// requests returns how many tile requests came, and for the tile z/x/y.
func (ts *tileServer) requests(tile string) (all, this int) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, n := range ts.asked {
		all += n
	}
	return all, ts.asked[tile]
}

// mercator is the Web Mercator world pixel of a place at zoom z
// (256-pixel tiles), computed here independently of the page's script.
func mercator(lat, lon float64, z int) (x, y float64) {
	size := 256 * math.Exp2(float64(z))
	s := math.Sin(lat * math.Pi / 180)
	return (lon + 180) / 360 * size, (0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)) * size
}

// checkMap opens the map and finds the case c among its pins: the pin's
// point must be the Web Mercator projection of the case's camera
// coordinates for the map's view (within a pixel), the tile drawn under it
// must be the tile holding those coordinates, loaded from the local tile
// server (so the CSP lets exactly that origin in); clicking the pin's head
// opens the case.
func (r *consoleRig) checkMap(t *testing.T, bctx context.Context, c wireCase) {
	t.Helper()
	if c.Camera.Latitude == nil || c.Camera.Longitude == nil {
		t.Fatalf("case %s carries no coordinates: %+v", c.CaseID, c.Camera)
	}
	pin := fmt.Sprintf(`.case-pin[data-case=%q]`, c.CaseID)
	do(t, bctx, 15*time.Second, "map page", chromedp.Navigate(r.srv.URL()+"/map"))
	until(t, bctx, 30*time.Second, "case "+c.CaseID+" on the map", `window.patrolMap && window.patrolMap.loaded() && !!document.querySelector('`+pin+`')`)
	until(t, bctx, 20*time.Second, "the tiles loaded", `(() => { const ts = [...document.querySelectorAll('img.tile')];
		return ts.length > 0 && ts.every(i => i.complete && i.naturalWidth === 256); })()`)
	got, err := chromedp.Run(bctx, chromedp.Evaluate[[]float64](`(() => {
		const m = document.getElementById('map'), b = m.getBoundingClientRect(), p = document.querySelector('`+pin+`').getBoundingClientRect(), v = window.patrolMap.view();
		return [b.left + m.clientLeft, b.top + m.clientTop, p.left, p.top, v.zoom, v.x0, v.y0]; })()`))
	if err != nil || len(got) != 7 {
		t.Fatalf("map view %v: %v", got, err)
	}
	z := int(got[4])
	wx, wy := mercator(*c.Camera.Latitude, *c.Camera.Longitude, z)
	ex, ey := got[0]+wx-got[5], got[1]+wy-got[6]
	if math.Abs(got[2]-ex) > 1 || math.Abs(got[3]-ey) > 1 {
		t.Errorf("case %s drawn at (%.1f, %.1f), its camera (%.6f, %.6f) projects to (%.1f, %.1f) at zoom %d",
			c.CaseID, got[2], got[3], *c.Camera.Latitude, *c.Camera.Longitude, ex, ey, z)
	}
	tile := fmt.Sprintf("%d/%d/%d", z, int(wx)/256, int(wy)/256)
	under, err := chromedp.Run(bctx, chromedp.Evaluate[string](fmt.Sprintf(`(() => { const t = [...document.querySelectorAll('img.tile')].find(i => {
		const b = i.getBoundingClientRect(); return %[1]f >= b.left && %[1]f < b.right && %[2]f >= b.top && %[2]f < b.bottom; });
		return t ? t.dataset.tile + ' ' + t.naturalWidth : ''; })()`, got[2], got[3])))
	all, this := r.tiles.requests(tile)
	if err != nil || under != tile+" 256" || this == 0 {
		t.Errorf("tile under the case: %q (%v), want %s loaded; the tile server served it %d times (%d tile requests in all)", under, err, tile, this, all)
	}
	t.Logf("case %s on the map at zoom %d, %.1f px from its projection; tile %s under it; %d tile requests", c.CaseID, z,
		math.Hypot(got[2]-ex, got[3]-ey), tile, all)
	r.screenshot(t, bctx, "map")
	do(t, bctx, 10*time.Second, "click the case on the map", chromedp.Click(chromedp.CSS(pin+" a")))
	until(t, bctx, 15*time.Second, "case page of "+c.CaseID+" from the map", `document.getElementById('case') && document.getElementById('case').dataset.case === `+strconv.Quote(c.CaseID))
}

// zonesFromMap opens the zone editor of camera from its marker on the map.
func (r *consoleRig) zonesFromMap(t *testing.T, bctx context.Context, camera string) {
	t.Helper()
	mark := fmt.Sprintf(`.cam-mark[data-camera=%q]`, camera)
	do(t, bctx, 15*time.Second, "map page", chromedp.Navigate(r.srv.URL()+"/map"))
	until(t, bctx, 20*time.Second, "camera "+camera+" on the map", `window.patrolMap && window.patrolMap.loaded() && !!document.querySelector('`+mark+`')`)
	do(t, bctx, 10*time.Second, "the camera's marker", chromedp.Click(chromedp.CSS(mark)),
		chromedp.Click(chromedp.CSS(`.map-pop a.zones-link`)), chromedp.WaitVisible(chromedp.CSS("#add-zone")))
}
