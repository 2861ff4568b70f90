package console

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/patrol-city/patrol/internal/config"
)

// maxPicture bounds a picture read from a worker (a 4K JPEG is far less).
const maxPicture = 16 << 20

// workerLabel is what a worker name must be to become part of a host
// name: one DNS label (RFC 1123), so console.worker_url decides the rest
// of the address. A health event's worker name is Kafka input: one with
// dots (an IP address, another domain) would send the console, with its
// credential, wherever the topic's writer wants (SSRF).
var workerLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// numericLabel matches labels that resolvers read as an IPv4 address
// (inet_aton: "2130706433", "0x7f000001").
var numericLabel = regexp.MustCompile(`^(0x[0-9a-f]+|[0-9]+)$`)

// workerURL is the base address of a worker from console.worker_url.
func (s *Server) workerURL(worker string) (string, error) {
	if !workerLabel.MatchString(worker) || numericLabel.MatchString(worker) {
		return "", fmt.Errorf("worker name %q is not a host name label (lower-case letters, digits, '-'; not a number): "+
			"its picture is not fetched", worker)
	}
	return strings.TrimRight(strings.ReplaceAll(s.cfg.Console.WorkerURL, "{worker}", worker), "/"), nil
}

// noRedirect keeps the console's requests to workers where worker_url
// sends them.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// servePicture proxies GET /cameras/{id}/picture.jpg to the worker that
// owns the camera (the worker of its newest health event): its current
// full-resolution picture. 404 when no worker is known or the worker does
// not run the camera, 502 when the worker cannot be reached.
func (s *Server) servePicture(w http.ResponseWriter, r *http.Request) {
	m := s.msgs(w)
	id := r.PathValue("id")
	if config.CheckID(id) != nil {
		http.Error(w, m.t("error.bad_camera_id"), http.StatusBadRequest)
		return
	}
	worker, ok := s.store.owner(id)
	if !ok {
		http.Error(w, m.t("error.no_worker"), http.StatusNotFound)
		return
	}
	base, err := s.workerURL(worker)
	if err != nil {
		s.log.Warn("console: camera picture", "camera", id, "worker", worker, "err", err)
		http.Error(w, m.t("error.bad_worker"), http.StatusBadGateway)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/cameras/"+url.PathEscape(id)+"/picture.jpg", nil)
	if err != nil {
		http.Error(w, m.t("error.bad_worker"), http.StatusBadGateway)
		return
	}
	if t := s.cfg.Console.WorkerToken; t != "" {
		req.Header.Set("Authorization", "Bearer "+t)
	}
	resp, err := s.deps.Workers.Do(req)
	if err != nil {
		s.log.Warn("console: camera picture", "camera", id, "worker", worker, "err", err)
		http.Error(w, m.t("error.worker_unreachable", "Worker", worker), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		http.Error(w, m.t("error.worker_not_running", "Worker", worker), http.StatusNotFound)
		return
	case resp.StatusCode != http.StatusOK:
		http.Error(w, m.t("error.worker_status", "Worker", worker, "Status", resp.Status), http.StatusBadGateway)
		return
	case resp.Header.Get("Content-Type") != "image/jpeg":
		http.Error(w, m.t("error.worker_no_jpeg", "Worker", worker), http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Patrol-Worker", worker)
	if _, err := io.Copy(w, io.LimitReader(resp.Body, maxPicture)); err != nil {
		s.log.Debug("console: camera picture copy", "camera", id, "err", err)
	}
}
