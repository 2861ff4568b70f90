//go:build !unix

package outbox

import (
	"fmt"
	"os"
)

// lockDir opens dir/LOCK; outside Unix there is no advisory lock, so two
// processes must not be given the same directory.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("outbox: lock %s: %w", path, err)
	}
	return f, nil
}
