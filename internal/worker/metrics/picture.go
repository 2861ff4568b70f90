package metrics

import (
	"errors"
	"net/http"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/pipeline"
)

// PictureSource gives a camera's current picture as JPEG;
// *pipeline.Pipeline implements it.
type PictureSource interface {
	Picture(camera string) ([]byte, error)
}

// picture serves GET /cameras/{id}/picture.jpg: the camera's current
// picture (404 when the worker does not run it, 503 before its first
// picture). The console's camera page and zone editor show it; like
// /metrics it has no authentication, so keep monitoring.metrics_address
// on a network only patrol's own services reach.
func (s *Server) picture(w http.ResponseWriter, r *http.Request) {
	if !s.picturesOpen() {
		http.Error(w, "live pictures on a non-loopback address need monitoring.token", http.StatusForbidden)
		return
	}
	id := r.PathValue("id")
	if config.CheckID(id) != nil {
		http.Error(w, "bad camera id", http.StatusBadRequest)
		return
	}
	raw, err := s.pictures.Picture(id)
	switch {
	case errors.Is(err, pipeline.ErrUnknownCamera):
		http.Error(w, "camera not run by this worker", http.StatusNotFound)
		return
	case err != nil:
		http.Error(w, "no picture yet", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(raw)
}
