// Package metrics serves a worker's Prometheus metrics (/metrics) and a
// health summary (/healthz): per camera packets, bytes, frames decoded and
// sent to detection, decode errors, drops, reconnects, state, picture state,
// clock drift and detection counters, plus process CPU and memory.
package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/patrol-city/patrol/internal/ingest"
	"github.com/patrol-city/patrol/internal/pipeline"
	"github.com/patrol-city/patrol/internal/runonce"
	"github.com/patrol-city/patrol/internal/worker/depcheck"
)

// Source reports per-camera statistics; *pipeline.Pipeline implements it.
type Source interface {
	Stats() map[string]pipeline.CameraStats
}

// DependencySource reports the state of the services the worker writes to;
// *depcheck.Watcher implements it.
type DependencySource interface {
	States() []depcheck.State
}

// Sources are what the server reports on.
type Sources struct {
	// Cameras is required.
	Cameras Source
	// Dependencies is optional (nil: none reported).
	Dependencies DependencySource
	// Cluster is optional (nil: not in a fleet).
	Cluster ClusterSource
	// Delivery is optional (nil: not reported).
	Delivery DeliverySource
	// Rechecks is optional (nil: not reported).
	Rechecks RecheckSource
}

// Config configures the server.
type Config struct {
	// Address to listen on (default "127.0.0.1:9108").
	Address string
	// Worker labels every metric (required).
	Worker string
	// Token, when set, is the bearer token /metrics, the camera pictures
	// and the full /healthz need (auth.go); default none.
	Token string
}

// Server serves /metrics and /healthz.
type Server struct {
	cfg  Config
	src  Source
	deps DependencySource
	// cluster is nil outside a fleet.
	cluster ClusterSource
	// pictures is nil when the source has no pictures.
	pictures PictureSource
	log      *slog.Logger
	ln       net.Listener // set by Run before ready is closed
	ready    chan struct{}
	srv      *http.Server
}

// New validates the configuration and starts nothing; Run listens and
// serves. A nil logger is silent.
func New(cfg Config, srcs Sources, log *slog.Logger) (*Server, error) {
	src := srcs.Cameras
	if cfg.Address == "" {
		cfg.Address = "127.0.0.1:9108"
	}
	if src == nil || cfg.Worker == "" {
		return nil, errors.New("metrics: source and worker name required")
	}
	if _, _, err := net.SplitHostPort(cfg.Address); err != nil {
		return nil, fmt.Errorf("metrics: address %q: %w", cfg.Address, err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(), &collector{src: src, deps: srcs.Dependencies, cluster: srcs.Cluster, delivery: srcs.Delivery, rechecks: srcs.Rechecks, worker: cfg.Worker})
	s := &Server{cfg: cfg, src: src, deps: srcs.Dependencies, cluster: srcs.Cluster, log: log, ready: make(chan struct{})}
	mux := http.NewServeMux()
	mux.Handle("/metrics", s.requireToken(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	mux.HandleFunc("/healthz", s.healthz)
	if ps, ok := src.(PictureSource); ok {
		s.pictures = ps
		mux.Handle("GET /cameras/{id}/picture.jpg", s.requireToken(http.HandlerFunc(s.picture)))
	}
	// ReadTimeout: a request body that never arrives does not hold a
	// connection (the endpoints read none).
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second}
	return s, nil
}

// Ready is closed once Run listens; Addr is known from then on.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr is the address the server listens on ("" before Ready).
func (s *Server) Addr() string {
	if !runonce.Closed(s.ready) {
		return ""
	}
	return s.ln.Addr().String()
}

// Run listens on the configured address and serves until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Address)
	if err != nil {
		return fmt.Errorf("metrics: listen %s: %w", s.cfg.Address, err)
	}
	s.ln = ln
	close(s.ready)
	if s.pictures != nil && !s.picturesOpen() {
		s.log.Warn("live camera pictures refused on this address until monitoring.token is set", "address", s.cfg.Address)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.srv.Shutdown(sctx)
		<-errc //nolint:errcheck // http.ErrServerClosed after Shutdown
		return nil
	case err := <-errc:
		return fmt.Errorf("metrics: %w", err)
	}
}

// cameraHealth is one camera in /healthz.
type cameraHealth struct {
	ID      string `json:"id"`
	State   string `json:"state"`
	Reason  string `json:"reason,omitempty"`
	Picture string `json:"picture"`
	Decoder string `json:"decoder"`
	Frames  uint64 `json:"frames_to_detection"`
	// Zones are the ids of the zones in force.
	Zones []string `json:"zones"`
}

// healthz answers 200 with every camera's state and every dependency's;
// the status is "ok" when every camera streams a healthy picture and every
// dependency is up, else "degraded". Without the token (when one is
// configured) only the status and the worker name.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	stats := s.src.Stats()
	out := struct {
		Status       string           `json:"status"`
		Worker       string           `json:"worker"`
		Cameras      []cameraHealth   `json:"cameras"`
		Dependencies []depcheck.State `json:"dependencies,omitempty"`
		Cluster      *ClusterStatus   `json:"cluster,omitempty"`
	}{Status: "ok", Worker: s.cfg.Worker, Cameras: []cameraHealth{}}
	if s.cluster != nil {
		cs := s.cluster.ClusterStatus()
		out.Cluster = &cs
	}
	if s.deps != nil {
		out.Dependencies = s.deps.States()
		for _, d := range out.Dependencies {
			if !d.Up {
				out.Status = "degraded"
			}
		}
	}
	for id, st := range stats {
		out.Cameras = append(out.Cameras, cameraHealth{ID: id, State: st.State, Reason: st.Reason, Picture: st.Picture,
			Decoder: string(st.Ingest.Decoder), Frames: st.Ingest.FramesSent, Zones: st.Zones})
		if st.State != "streaming" || st.Picture != "ok" || st.Ingest.Decoder != ingest.DecoderOK {
			out.Status = "degraded"
		}
	}
	sort.Slice(out.Cameras, func(i, j int) bool { return out.Cameras[i].ID < out.Cameras[j].ID })
	w.Header().Set("Content-Type", "application/json")
	if !s.authorized(r) {
		_ = json.NewEncoder(w).Encode(map[string]string{"status": out.Status, "worker": out.Worker})
		return
	}
	_ = json.NewEncoder(w).Encode(out)
}
