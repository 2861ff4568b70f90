// Package safepath builds file-system paths from names that come from
// outside patrol (camera, zone and rule ids, object names, keys) so that the
// result can never leave its root directory, and removes files only through
// an os.Root opened on that root. Every path patrol derives from
// configuration or network input goes through Join; every removal of such a
// path goes through RemoveAll.
package safepath

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrUnsafe is wrapped by every error for a name that would escape its root
// or is not a single path element.
var ErrUnsafe = errors.New("unsafe path element")

// CheckName reports whether name is one plain path element: not empty, not
// "." or "..", no separator (either kind), no NUL byte.
func CheckName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty name", ErrUnsafe)
	case name == "." || name == "..":
		return fmt.Errorf("%w: %q", ErrUnsafe, name)
	case strings.ContainsAny(name, `/\`+"\x00"):
		return fmt.Errorf("%w: %q contains a separator or NUL", ErrUnsafe, name)
	case !filepath.IsLocal(name):
		return fmt.Errorf("%w: %q is not local", ErrUnsafe, name)
	}
	return nil
}

// Join returns root joined with elems, where each element must pass
// CheckName. root itself is trusted (it comes from the operator's data_dir)
// but must not be empty.
func Join(root string, elems ...string) (string, error) {
	if root == "" {
		return "", fmt.Errorf("%w: empty root", ErrUnsafe)
	}
	parts := make([]string, 0, len(elems)+1)
	parts = append(parts, root)
	for _, e := range elems {
		if err := CheckName(e); err != nil {
			return "", err
		}
		parts = append(parts, e)
	}
	return filepath.Join(parts...), nil
}

// RemoveAll removes root/elems... and everything below it, resolving the
// path inside an os.Root on root: neither the names nor a symbolic link on
// the way can make it remove anything outside root. A missing path is not an
// error; a missing root is not either (nothing to remove).
func RemoveAll(root string, elems ...string) error {
	if len(elems) == 0 {
		return fmt.Errorf("%w: refusing to remove the root itself", ErrUnsafe)
	}
	for _, e := range elems {
		if err := CheckName(e); err != nil {
			return err
		}
	}
	r, err := os.OpenRoot(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("safepath: %w", err)
	}
	defer r.Close()
	if err := r.RemoveAll(filepath.Join(elems...)); err != nil {
		return fmt.Errorf("safepath: %w", err)
	}
	return nil
}
