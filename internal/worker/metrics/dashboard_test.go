package metrics

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/patrol-city/patrol/internal/testkit/testenv"
)

// TestDashboardMetricsExist: every patrol_* series the Grafana dashboard
// (deploy/grafana/patrol.json) queries is one this package exports, so the
// dashboard cannot drift from the code.
func TestDashboardMetricsExist(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(), "deploy", "grafana", "patrol.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard is not JSON: %v", err)
	}
	known := map[string]bool{}
	for name := range descs {
		known["patrol_camera_"+name] = true
	}
	for _, d := range []string{dDepUp.String(), dDepFailures.String(), dBacklog.String(),
		dFleetPartitions.String(), dFleetAssignments.String(), dFleetCameras.String()} {
		if m := regexp.MustCompile(`fqName: "([a-z_]+)"`).FindStringSubmatch(d); m != nil {
			known[m[1]] = true
		}
	}
	name := regexp.MustCompile(`\bpatrol_[a-z_]+`)
	used := 0
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, m := range name.FindAllString(tg.Expr, -1) {
				used++
				if !known[m] {
					t.Errorf("panel %q queries %s, which patrol does not export (known: %s)", p.Title, m, strings.Join(keys(known), ", "))
				}
			}
		}
	}
	if used < 10 {
		t.Errorf("only %d patrol series queried", used)
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
