// Package testenv locates what patrol's tests need from outside the
// repository: the asset mirror (model, photos, footage) and the script that
// starts and stops the test services. It is test tooling; production code
// never imports it.
package testenv

import (
	"os"
	"path/filepath"
)

// MirrorEnv is the environment variable naming the asset mirror.
const MirrorEnv = "PATROL_ASSET_MIRROR"

// ModuleRoot returns the directory holding go.mod, searched upward from the
// working directory (a test's package directory), or "" when there is none.
func ModuleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Mirror returns the absolute asset mirror directory: $PATROL_ASSET_MIRROR
// when set, else ../shared next to the module root (the development
// machines' and CI's layout).
func Mirror() string {
	dir := os.Getenv(MirrorEnv)
	if dir == "" {
		if root := ModuleRoot(); root != "" {
			dir = filepath.Join(root, "..", "shared")
		}
	}
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// ServicesScript returns the absolute path of $PATROL_TEST_SERVICES (the
// services script make test exports, relative to the module root when not
// absolute), or "" when unset.
func ServicesScript() string {
	s := os.Getenv("PATROL_TEST_SERVICES")
	if s == "" || filepath.IsAbs(s) {
		return s
	}
	if root := ModuleRoot(); root != "" {
		return filepath.Join(root, s)
	}
	return s
}
