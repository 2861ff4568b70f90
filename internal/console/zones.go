package console

import (
	"context"
	"net/http"
	"strings"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/kafka/registry"
)

// ruleView is a configured rule as the zone editor offers it.
type ruleView struct {
	ID   string `json:"id"`
	Code string `json:"code"`
	Name string `json:"name"`
}

// zonesView is GET /api/cameras/{id}/zones: the camera's zones in the
// registry, the record's version (its offset: a save names it, and is
// refused when the record changed meanwhile) and the rules to pick from.
type zonesView struct {
	Camera  string        `json:"camera"`
	Version int64         `json:"version"`
	Zones   []config.Zone `json:"zones"`
	Rules   []ruleView    `json:"rules"`
}

// zonesRequest is the body of POST /api/cameras/{id}/zones.
type zonesRequest struct {
	Version int64         `json:"version"`
	Zones   []config.Zone `json:"zones"`
}

// registryCamera reads a camera's registry record.
func (s *Server) registryCamera(id string) (config.Camera, int64, error) {
	e, ok := s.registryGet(id)
	if !ok {
		return config.Camera{}, 0, errNotInRegistry
	}
	cam, err := registry.Decode(id, e.Value)
	return cam, e.Offset, err
}

type consoleError string

func (e consoleError) Error() string { return string(e) }

const errNotInRegistry = consoleError("camera not in the registry (only registry cameras can be edited here)")

// rules lists the configured rules.
func (s *Server) rules() []ruleView {
	out := make([]ruleView, 0, len(s.cfg.Rules))
	for _, r := range s.cfg.Rules {
		out = append(out, ruleView{ID: r.ID, Code: r.Code, Name: r.Name})
	}
	return out
}

// getZones handles GET /api/cameras/{id}/zones.
func (s *Server) getZones(w http.ResponseWriter, r *http.Request, _ *session) {
	id := r.PathValue("id")
	cam, ver, err := s.registryCamera(id)
	if err != nil {
		apiError(w, http.StatusNotFound, err.Error())
		return
	}
	zones := cam.Zones
	if zones == nil {
		zones = []config.Zone{}
	}
	writeJSON(w, http.StatusOK, zonesView{Camera: id, Version: ver, Zones: zones, Rules: s.rules()})
}

// postZones handles POST /api/cameras/{id}/zones (operators): the
// camera's registry record with the zones replaced, validated as
// `patrol cameras apply` validates (config.ValidateCameras against the
// configured rules), written back to the registry topic. The owning
// worker applies it within about a second. 409 when the record changed
// since the editor loaded it.
func (s *Server) postZones(w http.ResponseWriter, r *http.Request, ss *session) {
	id := r.PathValue("id")
	var req zonesRequest
	if err := decodeJSON(r, &req); err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	cam, ver, err := s.registryCamera(id)
	if err != nil {
		apiError(w, http.StatusNotFound, err.Error())
		return
	}
	if req.Version != ver {
		apiError(w, http.StatusConflict, "the camera's record changed since the editor loaded it: reload")
		return
	}
	cam.Zones = req.Zones
	if err := s.cfg.ValidateCameras([]config.Camera{cam}); err != nil {
		apiError(w, http.StatusUnprocessableEntity, strings.TrimPrefix(err.Error(), config.ErrInvalid.Error()+":"))
		return
	}
	raw, err := registry.Encode(cam)
	if err != nil {
		apiError(w, http.StatusInternalServerError, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), writeTimeout)
	defer cancel()
	if err := s.registryW.WriteCase(ctx, id, raw); err != nil {
		s.log.Error("console: zones not saved", "camera", id, "err", err)
		apiError(w, http.StatusBadGateway, "not saved: Kafka unavailable, try again")
		return
	}
	// Read it back, so that the version answered is the new record's.
	_ = s.registry.Sync(ctx)
	_, nver, _ := s.registryCamera(id)
	s.log.Info("console: zones saved", "camera", id, "zones", len(cam.Zones), "user", ss.user)
	writeJSON(w, http.StatusOK, map[string]any{"camera": id, "version": nver, "zones": len(cam.Zones)})
}
