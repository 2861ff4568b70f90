package models

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/patrol-city/patrol/models/assets"
)

// Runtime describes an inference runtime library patrol loads at run time:
// ONNX Runtime's shared library, taken from its PyPI wheel.
type Runtime struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	License string `json:"license"`
	Note    string `json:"note"`
	// Archive is the published file that carries the library.
	Archive assets.File `json:"archive"`
	// NameInArchive is the library's path inside Archive.
	NameInArchive string `json:"name_in_archive"`
	// File is the extracted library (local path, sha256, size).
	File assets.File `json:"file"`
}

// ONNXRuntime is the manifest name of ONNX Runtime.
const ONNXRuntime = "onnxruntime"

// GetRuntime returns the named runtime of the manifest.
func GetRuntime(name string) (Runtime, error) {
	var m struct {
		Runtimes []Runtime `json:"runtimes"`
	}
	if err := json.Unmarshal(manifestJSON, &m); err != nil {
		return Runtime{}, fmt.Errorf("models: manifest: %w", err)
	}
	for _, r := range m.Runtimes {
		if r.Name == name {
			return r, nil
		}
	}
	return Runtime{}, fmt.Errorf("models: unknown runtime %q", name)
}

// PullRuntime makes the named runtime library available locally and
// verified (from the mirror, the cache, or extracted from its archive
// downloaded from the upstream address) and returns its path.
func PullRuntime(ctx context.Context, f *assets.Fetcher, name string) (string, Runtime, error) {
	r, err := GetRuntime(name)
	if err != nil {
		return "", r, err
	}
	p, err := f.EnsureMember(ctx, assets.Member{Archive: r.Archive, Name: r.NameInArchive, File: r.File})
	if err != nil {
		return "", r, fmt.Errorf("models: runtime %s %s: %w", r.Name, r.Version, err)
	}
	return p, r, nil
}
