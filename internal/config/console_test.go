package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConsoleTimeZone: console.time_zone defaults to Asia/Shanghai, takes
// an IANA zone and refuses a name that is not one.
func TestConsoleTimeZone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ zone, want, err string }{
		{"", "Asia/Shanghai", ""},
		{"UTC", "UTC", ""},
		{"Asia/Urumqi", "Asia/Urumqi", ""},
		{"Mars/Olympus_Mons", "", "console.time_zone"},
	} {
		p := filepath.Join(t.TempDir(), "console.yaml")
		raw := "kafka: {brokers: [127.0.0.1:9092]}\nconsole: {users_file: /etc/patrol/users, time_zone: '" + tc.zone +
			"'}\nevidence: {kind: s3, endpoint: 127.0.0.1:9000, access_key: a, secret_key: b}\n"
		if err := os.WriteFile(p, []byte(raw), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConsole(p)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("time_zone %q: %v, want an error naming %s", tc.zone, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("time_zone %q: %v", tc.zone, err)
		case tc.err == "" && cfg.Console.TimeZone != tc.want:
			t.Errorf("time_zone %q: %q, want %q", tc.zone, cfg.Console.TimeZone, tc.want)
		}
	}
}
