package config

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const base = `
cameras:
  - id: cam-1
    url: rtsp://admin:${CAM_PASS}@10.0.0.1:554/s1
    zones:
      - id: z1
        polygon: [[0.1,0.5],[0.9,0.5],[0.9,1.0]]
        rules: [parking]
rules:
  - id: parking
    code: "0505"
    name: 机动车乱停放
    classes: [car]
kafka:
  brokers: [127.0.0.1:9092]
evidence:
  endpoint: 127.0.0.1:9000
  access_key: patrol
  secret_key: ${MINIO_SECRET_KEY}
`

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

var goodEnv = env(map[string]string{"CAM_PASS": "s3cret", "MINIO_SECRET_KEY": "k"})

func TestParseDefaults(t *testing.T) {
	cfg, err := Parse([]byte(base), goodEnv)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Cameras[0].URL; got != "rtsp://admin:s3cret@10.0.0.1:554/s1" {
		t.Errorf("url = %q", got)
	}
	if cfg.Evidence.SecretKey != "k" {
		t.Errorf("secret not expanded")
	}
	r := cfg.Rules[0]
	if r.MinDwell != 5*time.Minute || r.Kind != "stationary" || r.MaxMovement != DefaultMaxMovement {
		t.Errorf("rule defaults not applied: %+v", r)
	}
	if cfg.Kafka.CasesTopic != "patrol.cases.v1" || cfg.Ingest.DetectInterval != 0 ||
		cfg.Ingest.BufferBytes != 24<<20 || cfg.Ingest.BufferDuration != 20*time.Second ||
		cfg.Cameras[0].Transport != "tcp" || cfg.Cameras[0].Name != "cam-1" ||
		cfg.Model.Backend != "onnxruntime" || cfg.Model.Threads != 1 {
		t.Errorf("defaults not applied: %+v", cfg)
	}
	// min_dwell 5m: by need, a picture every 4 s (the cap).
	if got := cfg.SampleInterval(cfg.Cameras[0]); got != MaxSampleInterval {
		t.Errorf("sample interval %v, want %v", got, MaxSampleInterval)
	}
}

// TestSampleInterval: forced intervals win; otherwise the shortest dwell
// of the camera's rules over SamplesPerDwell, within the bounds.
func TestSampleInterval(t *testing.T) {
	rules := []Rule{
		{ID: "park5m", Kind: "stationary", MinDwell: 5 * time.Minute},
		{ID: "park60s", Kind: "stationary", MinDwell: 60 * time.Second},
		{ID: "park10s", Kind: "stationary", MinDwell: 10 * time.Second},
		{ID: "vend", Kind: "gathering", MinDwell: 10 * time.Minute, MinDwellNoStall: 90 * time.Second},
	}
	cam := func(iv time.Duration, rules ...string) Camera {
		return Camera{ID: "c", DetectInterval: iv, Zones: []Zone{{ID: "z", Rules: rules}}}
	}
	tests := []struct {
		name   string
		global time.Duration
		cam    Camera
		want   time.Duration
	}{
		{"5m dwell: the cap", 0, cam(0, "park5m"), 4 * time.Second},
		{"60s dwell", 0, cam(0, "park60s"), 2 * time.Second},
		{"shortest rule wins", 0, cam(0, "park5m", "park60s"), 2 * time.Second},
		{"10s dwell: the floor", 0, cam(0, "park10s"), time.Second},
		{"gathering: no-stall dwell", 0, cam(0, "vend"), 3 * time.Second},
		{"no rules", 0, Camera{ID: "c"}, MaxSampleInterval},
		{"global forced", 500 * time.Millisecond, cam(0, "park5m"), 500 * time.Millisecond},
		{"camera forced", time.Second, cam(7*time.Second, "park5m"), 7 * time.Second},
	}
	for _, tc := range tests {
		c := &Config{Rules: rules, Ingest: Ingest{DetectInterval: tc.global}}
		if got := c.SampleInterval(tc.cam); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, from, to, want string
		env                  func(string) (string, bool)
	}{
		{"no url", "url: rtsp://admin:${CAM_PASS}@10.0.0.1:554/s1", "url: \"\"", "cameras[0].url: required", nil},
		{"two points", "[[0.1,0.5],[0.9,0.5],[0.9,1.0]]", "[[0.1,0.5],[0.9,0.5]]", "cameras[0].zones[0].polygon: need at least 3 points", nil},
		{"outside", "[0.9,1.0]]", "[0.9,1.5]]", "cameras[0].zones[0].polygon[2]: coordinates must be normalized", nil},
		{"bad scheme", "url: rtsp://", "url: http://", `cameras[0].url: scheme "http" not supported`, nil},
		{"unknown rule", "rules: [parking]", "rules: [vending]", `cameras[0].zones[0].rules[0]: unknown rule "vending"`, nil},
		{"no code", `code: "0505"`, `code: ""`, "rules[0].code: required", nil},
		{"unknown field", "classes: [car]", "classes: [car]\n    colour: red", "field colour not found", nil},
		{"camera id escapes", "id: cam-1", "id: ../victim", `cameras[0].id: "../victim" is not a valid id`, nil},
		{"camera id dot", "id: cam-1", `id: "."`, `cameras[0].id: "." is not a valid id`, nil},
		{"camera id slash", "id: cam-1", "id: a/b", `cameras[0].id: "a/b" is not a valid id`, nil},
		{"camera id too long", "id: cam-1", "id: " + strings.Repeat("a", 65), "cameras[0].id: ", nil},
		{"zone id space", "id: z1", `id: "zone 1"`, `cameras[0].zones[0].id: "zone 1" is not a valid id`, nil},
		{"rule id escapes", "  - id: parking", "  - id: ../parking", `rules[0].id: "../parking" is not a valid id`, nil},
		{"unknown kind", "classes: [car]", "classes: [car]\n    kind: parked", `rules[0].kind: unknown kind "parked" (stationary, gathering, static_object or count)`, nil},
		{"confirm score above 1", "classes: [car]", "classes: [car]\n    confirm_score: 1.5", "rules[0].confirm_score: must be at most 1", nil},
		{"presence above 1", "classes: [car]", "classes: [car]\n    min_presence: 2", "rules[0].min_presence: must be at most 1", nil},
		{"severity steps fall", "classes: [car]", "classes: [car]\n    severity: [{after: 60m, level: 严重}, {after: 15m, level: 一般}]", "rules[0].severity[1].after: steps must rise in dwell", nil},
		{"severity without level", "classes: [car]", "classes: [car]\n    severity: [{after: 15m}]", "rules[0].severity[0].level: required", nil},
		{"latitude alone", "id: cam-1", "id: cam-1\n    latitude: 31.2", "cameras[0].latitude: latitude and longitude go together", nil},
		{"longitude out of range", "id: cam-1", "id: cam-1\n    latitude: 31.2\n    longitude: 221.4", "cameras[0].longitude: must be between -180 and 180", nil},
		{"grid code", "id: cam-1", "id: cam-1\n    grid: \"31/01\"", "cameras[0].grid: must be 1 to 32 letters, digits or -", nil},
		{"min area whole picture", "classes: [car]", "classes: [car]\n    min_area: 1", "rules[0].min_area: must be between 0 and 1", nil},
		{"schedule out of range", "classes: [car]", "classes: [car]\n    schedule: \"07:00-25:00\"", `schedule: schedule window "07:00-25:00": time "25:00" out of range`, nil},
		{"schedule not a string", "classes: [car]", "classes: [car]\n    schedule: [a, b]", `schedule: want a string like "07:00-22:00"`, nil},
		{"missing env", "", "", "environment variable CAM_PASS, MINIO_SECRET_KEY not set", env(nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := base
			if tc.from != "" {
				if !strings.Contains(raw, tc.from) {
					t.Fatalf("fixture lacks %q", tc.from)
				}
				raw = strings.Replace(raw, tc.from, tc.to, 1)
			}
			e := tc.env
			if e == nil {
				e = goodEnv
			}
			_, err := Parse([]byte(raw), e)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("error leaks the password: %v", err)
			}
		})
	}
}

func TestValidationErrorWraps(t *testing.T) {
	_, err := Parse([]byte(strings.Replace(base, "classes: [car]", "classes: []", 1)), goodEnv)
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
}

func TestExampleConfigLoads(t *testing.T) {
	for _, k := range []string{"CAM_PASSWORD", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY", "KAFKA_PASSWORD"} {
		t.Setenv(k, "x")
	}
	path := filepath.Join("..", "..", "deploy", "patrol.example.yaml")
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.ValidateKafka(); err != nil {
		t.Fatal(err)
	}
}

// TestRedact: the password goes, whatever characters it has (before: a
// '#' in it left it whole, and ?password= stayed in the query).
func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"rtsp://admin:s3cret@10.0.0.1:554/s1":                "rtsp://admin:xxxxx@10.0.0.1:554/s1",
		"rtsp://admin:1234#5678@cam/s1":                      "rtsp://admin:xxxxx@cam/s1",
		"rtsp://admin:p/a?s@s@cam:554/s1":                    "rtsp://admin:xxxxx@cam:554/s1",
		"rtsp://cam/s1?user=admin&password=s3cret&channel=1": "rtsp://cam/s1?channel=1&password=xxxxx&user=admin",
		"rtsp://admin@cam/s1":                                "rtsp://admin@cam/s1",
		"rtsp://cam/s1":                                      "rtsp://cam/s1",
		"rtsp://u:pw@cam/s1#frag":                            "rtsp://u:xxxxx@cam/s1",
		"not a url":                                          "<not a URL>",
		"rtsps://admin:%E5%AF%86@cam/Streaming/Channels/101": "rtsps://admin:xxxxx@cam/Streaming/Channels/101",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzRedact: a password of 4 or more bytes never survives Redact.
func FuzzRedact(f *testing.F) {
	f.Add("admin", "1234#5678", "cam:554")
	f.Add("u", "p@ss/w?rd", "10.0.0.1")
	f.Fuzz(func(t *testing.T, user, pass, host string) {
		if len(pass) < 4 || strings.ContainsAny(user, ":@/?#") || strings.ContainsAny(host, "@") ||
			strings.Contains(Redact("rtsp://"+user+":other@"+host+"/p"), pass) ||
			strings.Contains(Redact("rtsp://"+user+":other@"+host+"/p"), url.QueryEscape(pass)) {
			return // the password's text is in the rest of the address
		}
		raw := "rtsp://" + user + ":" + pass + "@" + host + "/p"
		if got := Redact(raw); strings.Contains(got, pass) || strings.Contains(got, url.QueryEscape(pass)) {
			t.Fatalf("Redact(%q) = %q keeps the password", raw, got)
		}
	})
}

// FuzzParse: no input makes the loader panic; every failure is an error.
func FuzzParse(f *testing.F) {
	f.Add([]byte(base))
	f.Add([]byte("cameras: [{id: a, url: 'rtsp://${X}@h/p', zones: [{id: z, polygon: [[0,0],[1,0]]}]}]"))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		cfg, err := Parse(raw, goodEnv)
		if err == nil && cfg == nil {
			t.Fatal("nil config without error")
		}
	})
}

// TestLoadConsoleWithoutCameras: the console's configuration needs no
// camera list outside a fleet (before: "cameras: need at least one
// camera"); a worker's still does.
func TestLoadConsoleWithoutCameras(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "console.yaml")
	raw := "kafka: {brokers: [127.0.0.1:9092]}\nconsole: {users_file: /etc/patrol/users}\nevidence: {kind: s3, endpoint: 127.0.0.1:9000, access_key: a, secret_key: b}\n"
	if err := os.WriteFile(p, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConsole(p); err != nil {
		t.Fatalf("console configuration refused: %v", err)
	}
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "cameras") {
		t.Fatalf("a worker's configuration without cameras: %v", err)
	}
}

// TestRegistryCameraLimits: a registry record may name a CA file only
// under cluster.camera_ca_dir, and no camera forces detection faster than
// MinDetectInterval (before: a record could name any local file and set
// detect_interval 1ns).
func TestRegistryCameraLimits(t *testing.T) {
	t.Parallel()
	cfg := &Config{Cluster: Cluster{CameraCADir: "/etc/patrol/camera-ca"}}
	for file, ok := range map[string]bool{
		"":                                    true,
		"/etc/patrol/camera-ca/hik.pem":       true,
		"/etc/patrol/camera-ca/../../shadow":  false,
		"/etc/shadow":                         false,
		"camera-ca/hik.pem":                   false,
		"/etc/patrol/camera-ca":               false,
		"/etc/patrol/camera-ca-other/hik.pem": false,
	} {
		if err := cfg.CheckRegistryCamera(Camera{ID: "c", TLSCAFile: file}); (err == nil) != ok {
			t.Errorf("tls_ca_file %q: %v, want ok %v", file, err, ok)
		}
	}
	if err := (&Config{}).CheckRegistryCamera(Camera{ID: "c", TLSCAFile: "/etc/patrol/camera-ca/hik.pem"}); err == nil {
		t.Error("a CA file accepted without cluster.camera_ca_dir")
	}
	for d, ok := range map[time.Duration]bool{0: true, time.Nanosecond: false, 99 * time.Millisecond: false, MinDetectInterval: true, time.Second: true} {
		cam := Camera{ID: "c", URL: "rtsp://10.0.0.1/s", DetectInterval: d}
		ApplyCameraDefaults(&cam)
		err := (&Config{}).ValidateCameras([]Camera{cam})
		if (err == nil) != ok {
			t.Errorf("detect_interval %v: %v, want ok %v", d, err, ok)
		}
	}
}

// TestConsoleLanguage: console.language defaults to zh-CN and
// console.time_zone to Asia/Shanghai; an unknown language or zone is
// refused with its field.
func TestConsoleLanguage(t *testing.T) {
	t.Parallel()
	base := "kafka: {brokers: [127.0.0.1:9092]}\nevidence: {kind: s3, endpoint: 127.0.0.1:9000, access_key: a, secret_key: b}\nconsole: {users_file: /etc/patrol/users"
	for _, tc := range []struct {
		extra, lang, tz, err string
	}{
		{"", "zh-CN", "Asia/Shanghai", ""},
		{", language: en, time_zone: Europe/Paris", "en", "Europe/Paris", ""},
		{", language: browser", "browser", "Asia/Shanghai", ""},
		{", language: fr", "", "", "console.language"},
		{", time_zone: Mars/Olympus", "", "", "console.time_zone"},
	} {
		p := filepath.Join(t.TempDir(), "console.yaml")
		if err := os.WriteFile(p, []byte(base+tc.extra+"}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConsole(p)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: %v, want an error naming %s", tc.extra, err, tc.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.extra, err)
		case cfg.Console.Language != tc.lang || cfg.Console.TimeZone != tc.tz:
			t.Errorf("%q: language %q, zone %q", tc.extra, cfg.Console.Language, cfg.Console.TimeZone)
		}
	}
}
