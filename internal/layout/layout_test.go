package layout

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/patrol-city/patrol"

// row is a line of the layer table: "| 2 | `internal/ingest` | ... |".
var row = regexp.MustCompile("^\\| *([0-9]+) *\\| *`([^`]+)` *\\|")

// layers reads the layer table of docs/architecture.md.
func layers(t *testing.T, root string) map[string]int {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		m := row.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		if _, dup := out[m[2]]; dup {
			t.Errorf("docs/architecture.md names %s twice", m[2])
		}
		out[m[2]] = n
	}
	if len(out) == 0 {
		t.Fatal("docs/architecture.md has no layer table")
	}
	return out
}

// pkg is what go list -json says of a package.
type pkg struct {
	ImportPath string
	Imports    []string
}

// packages lists the module's packages with their (non-test) imports.
func packages(t *testing.T, root string) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func rel(path string) (string, bool) {
	if !strings.HasPrefix(path, module+"/") {
		return "", false
	}
	return strings.TrimPrefix(path, module+"/"), true
}

// TestLayers: every package is in the document's table and imports only
// its own layer or lower ones; config is a leaf.
func TestLayers(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	layer := layers(t, root)
	seen := map[string]bool{}
	for _, p := range packages(t, root) {
		name, ok := rel(p.ImportPath)
		if !ok {
			continue
		}
		seen[name] = true
		l, ok := layer[name]
		if !ok {
			t.Errorf("package %s is not in the layer table of docs/architecture.md: say which layer it belongs to", name)
			continue
		}
		for _, imp := range p.Imports {
			dep, ok := rel(imp)
			if !ok {
				continue
			}
			if name == "internal/config" {
				t.Errorf("internal/config imports %s: config must import nothing of patrol", dep)
			}
			if dl, ok := layer[dep]; ok && dl > l {
				t.Errorf("%s (layer %d) imports %s (layer %d): imports must not climb", name, l, dep, dl)
			}
		}
	}
	for name := range layer {
		if !seen[name] {
			t.Errorf("docs/architecture.md names %s, which is not a package of the module", name)
		}
	}
}
