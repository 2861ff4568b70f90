package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// categoryRow is one row of a docs/categories.md table.
type categoryRow struct {
	code, name, coveredBy string
}

// readCategories returns the rows of the tables in docs/categories.md
// whose header has a "covered by" column.
func readCategories(t *testing.T) []categoryRow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "categories.md"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []categoryRow
	col := -1 // the "covered by" column of the current table
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			col = -1
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if cells[0] == "code" {
			col = -1
			for i, c := range cells {
				if c == "covered by" {
					col = i
				}
			}
			continue
		}
		if col < 0 || strings.HasPrefix(cells[0], "---") || col >= len(cells) {
			continue
		}
		rows = append(rows, categoryRow{code: cells[0], name: cells[1], coveredBy: cells[col]})
	}
	return rows
}

var firstKind = regexp.MustCompile("^`([a-z_]+)`")

// TestCategoriesMatchDefaultEventCodes holds docs/categories.md and
// DefaultEventCodes together: every row the catalogue marks as covered is
// in the default table with the same name, every default code is a covered
// row, and a covered row starts with a rule kind that exists.
func TestCategoriesMatchDefaultEventCodes(t *testing.T) {
	rows := readCategories(t)
	if len(rows) < 20 {
		t.Fatalf("docs/categories.md: %d table rows, want the 街面秩序 and 市容环境 groups", len(rows))
	}
	kinds := map[string]bool{string(KindStationary): true, string(KindGathering): true, string(KindStaticObject): true, string(KindCount): true}
	defaults := map[string]EventCode{}
	for _, e := range DefaultEventCodes {
		defaults[e.Code] = e
	}
	covered := map[string]bool{}
	seen := map[string]bool{}
	code := regexp.MustCompile(`^[0-9]{4}$`)
	for _, r := range rows {
		if !code.MatchString(r.code) {
			t.Errorf("docs/categories.md: row code %q is not 4 digits", r.code)
			continue
		}
		if seen[r.code] {
			t.Errorf("docs/categories.md: %s listed twice", r.code)
		}
		seen[r.code] = true
		if r.coveredBy == "" || r.coveredBy == "—" {
			if _, ok := defaults[r.code]; ok {
				t.Errorf("%s %s is in DefaultEventCodes but docs/categories.md does not mark it covered", r.code, r.name)
			}
			continue
		}
		m := firstKind.FindStringSubmatch(r.coveredBy)
		if len(m) < 2 || !kinds[m[1]] {
			t.Errorf("docs/categories.md: %s is covered by %q, which does not start with an existing rule kind", r.code, r.coveredBy)
		}
		covered[r.code] = true
		e, ok := defaults[r.code]
		switch {
		case !ok:
			t.Errorf("%s %s is covered in docs/categories.md but not in DefaultEventCodes", r.code, r.name)
		case e.Name != r.name:
			t.Errorf("%s: DefaultEventCodes names it %q, docs/categories.md %q", r.code, e.Name, r.name)
		}
	}
	for _, e := range DefaultEventCodes {
		if !covered[e.Code] && !seen[e.Code] {
			t.Errorf("%s %s is in DefaultEventCodes but not in docs/categories.md", e.Code, e.Name)
		}
		if e.Code != e.Category+e.Subcategory {
			t.Errorf("%s: category %q + subcategory %q", e.Code, e.Category, e.Subcategory)
		}
	}
}
