package config

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ParseCameras reads a file holding a cameras: list in the format of the
// worker configuration (the input of patrol cameras apply): ${VAR}
// references are expanded with lookup, unknown fields are errors, and the
// camera defaults (name, transport) are applied. It does not validate;
// see ValidateCameras.
func ParseCameras(raw []byte, lookup func(string) (string, bool)) ([]Camera, error) {
	expanded, err := expandEnv(raw, lookup)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Cameras []Camera `yaml:"cameras"`
	}
	dec := yaml.NewDecoder(bytesReader(expanded))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	for i := range doc.Cameras {
		ApplyCameraDefaults(&doc.Cameras[i])
	}
	return doc.Cameras, nil
}

// ApplyCameraDefaults fills a camera's empty fields: name (the id) and
// transport ("tcp").
func ApplyCameraDefaults(cam *Camera) {
	if cam.Name == "" {
		cam.Name = cam.ID
	}
	if cam.Transport == "" {
		cam.Transport = DefaultTransport
	}
}

// MinDetectInterval is the shortest detect_interval a camera or
// ingest.detect_interval may force (10 pictures a second).
const MinDetectInterval = 100 * time.Millisecond

// CheckRegistryCamera checks what a camera read from the registry may not
// do although a camera of the configuration file may: name a CA file
// outside cluster.camera_ca_dir. The error wraps ErrInvalid.
func (c *Config) CheckRegistryCamera(cam Camera) error {
	if cam.TLSCAFile == "" {
		return nil
	}
	dir := c.Cluster.CameraCADir
	if dir == "" {
		return fmt.Errorf("%w: camera %s: tls_ca_file: a registry camera may name a CA file only under cluster.camera_ca_dir (not set)", ErrInvalid, cam.ID)
	}
	rel, err := filepath.Rel(filepath.Clean(dir), filepath.Clean(cam.TLSCAFile))
	if err != nil || !filepath.IsAbs(cam.TLSCAFile) || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return fmt.Errorf("%w: camera %s: tls_ca_file: %q is not under cluster.camera_ca_dir %q", ErrInvalid, cam.ID, cam.TLSCAFile, dir)
	}
	return nil
}

// ValidateCameras checks cameras as the cameras: list of this
// configuration would be checked (ids, URLs, zones, the rules they name),
// with the same field paths ("cameras[2].zones[0].polygon: ..."). The
// error wraps ErrInvalid.
func (c *Config) ValidateCameras(cameras []Camera) error {
	ruleIDs := map[string]bool{}
	for _, r := range c.Rules {
		ruleIDs[r.ID] = true
	}
	var fe fieldErrors
	validateCameras(&fe, cameras, ruleIDs)
	if len(fe) == 0 {
		return nil
	}
	return fmt.Errorf("%w:\n  %s", ErrInvalid, strings.Join(fe, "\n  "))
}
