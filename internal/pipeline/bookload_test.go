package pipeline

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

type fixedState map[string][]byte

func (s fixedState) Load(camera string) ([]byte, bool) { v, ok := s[camera]; return v, ok }
func (s fixedState) Store(string, []byte) error        { return nil }

// TestUnreadableBookDoesNotStopTheCamera: a shared case-state record that
// does not parse or fails the schema is passed over for the local book,
// and a local book that does not parse is set aside as .bad; the camera
// starts either way (before: an error, on every worker that took the
// camera).
func TestUnreadableBookDoesNotStopTheCamera(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	good := `[{"case_id":"c-1","rule_id":"park","zone_id":"z","first_seen":"2026-12-02T07:50:00Z","last_seen":"2026-12-02T07:59:00Z","seq":2}]`
	for _, tc := range []struct {
		name          string
		shared, local string
		want          int // open cases loaded
		bad           bool
	}{
		{"shared garbage, local good", "{not json", good, 1, false},
		{"shared off-schema, no local", `[{"case_id":""}]`, "", 0, false},
		{"shared good", good, "{", 1, false},
		{"no shared, local garbage", "", "[{]", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			state := fixedState{}
			if tc.shared != "" {
				state["cam"] = []byte(tc.shared)
			}
			if tc.local != "" {
				if err := os.MkdirAll(filepath.Join(dir, "cases"), 0o750); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "cases", "cam.json"), []byte(tc.local), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			b, err := loadCaseBook(dir, "cam", state, now)
			if err != nil {
				t.Fatalf("camera not started: %v", err)
			}
			if len(b.open) != tc.want {
				t.Errorf("%d open cases, want %d (%v)", len(b.open), tc.want, b.unreadable)
			}
			_, statErr := os.Stat(filepath.Join(dir, "cases", "cam.json.bad"))
			if (statErr == nil) != tc.bad {
				t.Errorf("book set aside: %v, want %v", statErr == nil, tc.bad)
			}
		})
	}
}
