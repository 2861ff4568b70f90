package pipeline

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/patrol-city/patrol/internal/publisher/snapshot"
)

// ErrNoPicture is returned by Picture before a camera has a picture.
var ErrNoPicture = errors.New("pipeline: no picture yet")

// pictureCache keeps a camera's last current picture for a second, so that
// a console page polling it does not decode the stream each time.
type pictureCache struct {
	mu   sync.Mutex
	at   time.Time
	jpeg []byte
}

// pictureMaxAge is how long a current picture is served again.
const pictureMaxAge = time.Second

// Picture returns the current picture of a camera this pipeline runs, as
// JPEG at the main stream's resolution (decoded again from its ring, at
// most once a second). It is what the console's zone editor draws on.
func (p *Pipeline) Picture(id string) ([]byte, error) {
	w := p.cameraByID(id)
	if w == nil {
		return nil, fmt.Errorf("%w: %s", ErrUnknownCamera, id)
	}
	w.current.mu.Lock()
	defer w.current.mu.Unlock()
	now := p.deps.Now()
	if w.current.jpeg != nil && now.Sub(w.current.at) < pictureMaxAge {
		return w.current.jpeg, nil
	}
	img, err := w.cam.FullPicture(now)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoPicture, err)
	}
	raw, err := snapshot.Encode(img, nil, nil)
	if err != nil {
		return nil, err
	}
	w.current.jpeg, w.current.at = raw, now
	return raw, nil
}
