package safepath

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestJoin(t *testing.T) {
	for _, tc := range []struct {
		elems []string
		ok    bool
	}{
		{[]string{"history", "cam-1"}, true},
		{[]string{"cases", "cam.1.json"}, true},
		{[]string{"history", ".."}, false},
		{[]string{"history", "../victim"}, false},
		{[]string{"history", "a/b"}, false},
		{[]string{"history", `a\b`}, false},
		{[]string{"history", "."}, false},
		{[]string{"history", ""}, false},
		{[]string{"history", "/etc"}, false},
		{[]string{"history", "a\x00b"}, false},
	} {
		got, err := Join("/data", tc.elems...)
		if tc.ok != (err == nil) {
			t.Errorf("Join(%q) = %q, %v; want ok=%v", tc.elems, got, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrUnsafe) {
			t.Errorf("Join(%q): error %v does not wrap ErrUnsafe", tc.elems, err)
		}
	}
}

// TestRemoveAllStaysInRoot plants a victim next to the root and a symbolic
// link inside it pointing at the victim: neither a name nor the link makes
// RemoveAll touch the victim.
func TestRemoveAllStaysInRoot(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "data")
	victim := filepath.Join(base, "victim")
	for _, d := range []string{filepath.Join(root, "history", "cam"), victim} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	planted := filepath.Join(victim, "keep.txt")
	if err := os.WriteFile(planted, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(root, "history", "link")); err != nil {
		t.Fatal(err)
	}
	if err := RemoveAll(root, "history", "../../victim"); !errors.Is(err, ErrUnsafe) {
		t.Fatalf("RemoveAll(../../victim) = %v, want ErrUnsafe", err)
	}
	// Removing the link removes the link, not what it points at.
	if err := RemoveAll(root, "history", "link"); err != nil {
		t.Fatal(err)
	}
	if err := RemoveAll(root, "history", "cam"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(planted); err != nil {
		t.Fatalf("planted file outside the root is gone: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "history", "cam")); !os.IsNotExist(err) {
		t.Fatalf("cam not removed: %v", err)
	}
	if err := RemoveAll(root); !errors.Is(err, ErrUnsafe) {
		t.Fatalf("RemoveAll(root) = %v, want ErrUnsafe", err)
	}
}
