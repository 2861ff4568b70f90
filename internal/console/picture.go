package console

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/patrol-city/patrol/internal/config"
)

// maxPicture bounds a picture read from a worker (a 4K JPEG is far less).
const maxPicture = 16 << 20

// workerURL is the base address of a worker from console.worker_url.
func (s *Server) workerURL(worker string) (string, error) {
	if err := config.CheckID(worker); err != nil {
		return "", fmt.Errorf("worker name: %w", err)
	}
	return strings.TrimRight(strings.ReplaceAll(s.cfg.Console.WorkerURL, "{worker}", worker), "/"), nil
}

// servePicture proxies GET /cameras/{id}/picture.jpg to the worker that
// owns the camera (the worker of its newest health event): its current
// full-resolution picture. 404 when no worker is known or the worker does
// not run the camera, 502 when the worker cannot be reached.
func (s *Server) servePicture(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if config.CheckID(id) != nil {
		http.Error(w, "bad camera id", http.StatusBadRequest)
		return
	}
	worker, ok := s.store.owner(id)
	if !ok {
		http.Error(w, "no worker has reported this camera yet", http.StatusNotFound)
		return
	}
	base, err := s.workerURL(worker)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/cameras/"+url.PathEscape(id)+"/picture.jpg", nil)
	if err != nil {
		http.Error(w, "bad worker address", http.StatusBadGateway)
		return
	}
	resp, err := s.deps.Workers.Do(req)
	if err != nil {
		s.log.Warn("console: camera picture", "camera", id, "worker", worker, "err", err)
		http.Error(w, "worker "+worker+" unreachable", http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		http.Error(w, "worker "+worker+" does not run this camera (now)", http.StatusNotFound)
		return
	case resp.StatusCode != http.StatusOK:
		http.Error(w, fmt.Sprintf("worker %s: %s", worker, resp.Status), http.StatusBadGateway)
		return
	case resp.Header.Get("Content-Type") != "image/jpeg":
		http.Error(w, "worker "+worker+" sent no JPEG", http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Patrol-Worker", worker)
	if _, err := io.Copy(w, io.LimitReader(resp.Body, maxPicture)); err != nil {
		s.log.Debug("console: camera picture copy", "camera", id, "err", err)
	}
}
