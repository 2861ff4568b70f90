package metrics

import (
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
)

// Access to the worker's endpoints. With Config.Token set, /metrics and
// the camera pictures need "Authorization: Bearer <token>" (401 without),
// and /healthz answers a caller without it the liveness alone (status and
// worker name, for Kubernetes probes), the cameras, dependencies and fleet
// share only with the token. Without a token, the endpoints are open as
// before, except the live camera pictures on an address other than
// loopback: they are refused (403) until a token is set, since anyone who
// reaches the port would see every camera.

// authorized reports whether r carries the configured token (true when
// none is configured).
func (s *Server) authorized(r *http.Request) bool {
	if s.cfg.Token == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.Token)) == 1
}

// requireToken answers 401 to requests without the token.
func (s *Server) requireToken(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="patrol worker"`)
			http.Error(w, "monitoring.token required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// picturesOpen reports whether live pictures may be served: with a token,
// or on a loopback address.
func (s *Server) picturesOpen() bool {
	if s.cfg.Token != "" {
		return true
	}
	host, _, err := net.SplitHostPort(s.cfg.Address)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
