package config

import (
	"slices"
	"strings"
	"testing"
)

// TestConsoleMap: tile templates must carry {z}, {x} and {y} and be
// http(s) URLs or paths on the console's origin (their origins go into
// the console's CSP, so nothing that could widen it passes); tiles need an
// attribution; the view is checked.
func TestConsoleMap(t *testing.T) {
	t.Parallel()
	tdt := `"https://t0.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=k"`
	for _, tc := range []struct {
		name, section, want string
		origins             []string
	}{
		{"none", "{}", "", nil},
		{"tianditu and labels", "{tiles: [" + tdt + `, "https://t0.tianditu.gov.cn/cva_w/wmts?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"], attribution: "审图号 GS(20XX)XXXX号"}`,
			"", []string{"https://t0.tianditu.gov.cn"}},
		{"own origin", `{tiles: ["/tiles/{z}/{x}/{y}.png"], attribution: 来安县自然资源局, center: [32.45, 118.43], zoom: 15}`, "", nil},
		{"port kept", `{tiles: ["http://gis.local:8081/{z}/{x}/{y}.png"], attribution: x}`, "", []string{"http://gis.local:8081"}},
		{"no y", `{tiles: ["https://gis/{z}/{x}.png"], attribution: x}`, "console.map.tiles[0]: missing {y}", nil},
		{"no attribution", `{tiles: ["https://gis/{z}/{x}/{y}.png"]}`, "console.map.attribution: required with tiles", nil},
		{"scheme", `{tiles: ["javascript:{z}{x}{y}"], attribution: x}`, "must be an http(s) URL", nil},
		{"protocol-relative", `{tiles: ["//gis/{z}/{x}/{y}"], attribution: x}`, "must be an http(s) URL", nil},
		{"widens the CSP", `{tiles: ["https://gis/{z}/{x}/{y}; script-src *"], attribution: x}`, "not allowed", nil},
		{"placeholder in host", `{tiles: ["https://{x}.gis/{z}/{x}/{y}"], attribution: x}`, "no placeholder in the host", nil},
		{"user-info", `{tiles: ["https://u:p@gis/{z}/{x}/{y}"], attribution: x}`, "no user-info", nil},
		{"center", `{center: [95, 118]}`, "console.map.center: latitude must be", nil},
		{"center one number", `{center: [32]}`, "console.map.center: must be [latitude, longitude]", nil},
		{"zoom without center", `{zoom: 12}`, "console.map.zoom: needs a center", nil},
		{"zoom above max", `{center: [32, 118], zoom: 19}`, "console.map.zoom: must be between", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Parse([]byte(base+"console:\n  map: "+tc.section+"\n"), goodEnv)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Console.Map.TileOrigins(); !slices.Equal(got, tc.origins) {
				t.Errorf("origins %v, want %v", got, tc.origins)
			}
			if c.Console.Map.MaxZoom != 18 {
				t.Errorf("max_zoom %d, want the default 18", c.Console.Map.MaxZoom)
			}
		})
	}
}
